# The pipeline's image, for the compose profile "scale" (three workers) and for deployments.
# Workers in containers use a ClickHouse server (AIOPS_CLICKHOUSE_URL): the embedded engine
# belongs to one process, so several workers cannot share it.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY models models
COPY processors processors
COPY connectors connectors
COPY pipelines pipelines
COPY config config
COPY benchmarks benchmarks
COPY scripts scripts
COPY docs docs
RUN pip install --no-cache-dir . && useradd --create-home aiops
USER aiops
ENV AIOPS_WEB_HOST=0.0.0.0
EXPOSE 6066
HEALTHCHECK --interval=10s --timeout=5s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=4)"
ENTRYPOINT ["aiops"]
CMD ["worker"]
