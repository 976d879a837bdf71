"""Spanish cues (notation: ``processors.tickets.cues``; accents folded: ``está`` is
``esta``). The same families as English, written for how Spanish speakers report them (Spain
and Latin America: ``ordenador`` and ``computadora``, ``celular`` and ``móvil``)."""

from __future__ import annotations

_GROUP = ("planta|plantas|piso|pisos|oficina|oficinas|edificio|sede|sucursal|sucursales|tienda|"
          "tiendas|almacen|equipo|departamento|area|empresa|fabrica|hospital|planta|call|"
          "centro|nave|administracion|contabilidad|compras|ventas|personal|mundo|red|campus|"
          "turno|region|local|locales|almacenes|servicio")
_WHO = ("usuarios|personas|empleados|agentes|companeros|trabajadores|equipos|tiendas|sedes|"
        "camiones|pacientes|clientes|alumnos|cajas|terminales|puestos|sucursales|oficinas|"
        "conductores|enfermeras|medicos|llamadas|pedidos")
_DEVICE = "servidor|servidores|rack|racks|armario|switch|cuadro|equipos|ups|sai|electrico|red"
_ROOM = "servidores|datos|comunicaciones|electrico|maquinas|cpd|sistemas"

FAMILIES: dict[str, tuple[float, list[str]]] = {
    "safety": (3.2, [
        "huele|olor|oliendo _4 gas|quemado|humo", "fuga|escape _2 gas",
        "sale|salia|hay|vemos|mucho _3 humo", "humo", "fuego|llamas|incendio",
        "se esta|estan quemando", "chispas|chispazos", "alarma _2 incendio|incendios|fuego",
        "central|panel _3 incendio|incendios _4 falla|fallo|averia|pitando",
        "bomberos", "atrapado|atrapados|atrapada|atrapadas|encerrado|encerrados",
        "ascensor _6 parado|atascado|detenido|atorado _3 dentro|personas|gente",
        "herido|heridos|herida|desmayado|desmayo|inconsciente|ambulancia",
        "descarga electrica", "evacuando|evacuar|evacuacion|evacuado|desalojando|desalojar",
        "explosion|exploto",
    ]),
    "facility": (2.8, [
        f"agua|gotera|goteras|fuga|gotea|goteando|inundado|inundacion _10 {_DEVICE}",
        f"{_DEVICE} _6 agua|mojado|gotera|inundado",
        f"sala|cuarto _2 {_ROOM} _8 calor|caliente|temperatura|grados",
        f"aire|climatizacion|refrigeracion _8 sala|cuarto _2 {_ROOM}",
        "ups|sai|baterias|bateria _6 pitando|pita|alarma|humo|calientes|hinchada",
        "puerta _8 abierta|calzada|forzada",
    ]),
    "security": (3.2, [
        "ransomware|rescate", "bitcoin|bitcoins|cripto",
        "archivos|ficheros|documentos|carpetas _4 cifrados|encriptados|bloqueados|renombrados",
        "extension|extensiones _2 rara|raras|extrana|extranas",
        "alguien _4 controla|controlando|mueve|moviendo|usando|conectado _4 mi|el|equipo|pc|"
        "computadora|ordenador|raton|mouse|pantalla",
        "raton|mouse|cursor _4 solo", "anydesk|teamviewer =1.2",
        "no lo|la inicie|abri|pedi|solicite =1.0", "yo no _2 inicie|abri|pedi =1.0",
        "hackeado|hackeada|hackearon|comprometida|comprometido|vulnerada =2.6",
        "acceso|accesos|inicios _3 no autorizado|autorizados|sospechoso|sospechosos|raros",
        "puse|meti|escribi|ingrese|introduje|di _4 contrasena|clave|usuario|credenciales|datos"
        " =1.7",
        "pinche|abri|clic|click _6 enlace|link|adjunto =1.5",
        "correo|pagina|enlace|link|web _4 falso|falsa|sospechoso|sospechosa|fraudulento =1.6",
        "phishing|suplantacion =0.6",
        "virus|malware|troyano|infectado|infectados =1.6",
        "robaron|robado|robada _4 portatil|laptop|celular|movil|contrasena",
        "transferencia _6 urgente|ceo|director =0.8",
    ]),
    "scope": (1.4, [
        f"toda|todo|todos|todas _2 {_GROUP}",
        f"toda|todo|todos|todas _2 {_WHO}",
        "nadie _4 puede|pueden|podemos|funciona|consigue",
        f"## _2 {_WHO}", f"muchos|varios|varias|muchas|varios _2 {_WHO}",
        "varios|varias companeros|companeras|usuarios|personas",
        "a todo el mundo", "todo el mundo",
        "estamos|estan _2 todos|parados|sin",
    ]),
    "outage": (0.9, [
        "caido|caida|caidos|cayo", "no anda|va",
        "no funciona|funcionan|carga|conecta|conectan|entra|entran|imprime|abre|arranca|responde|"
        "deja|podemos|puedo|puede",
        "sin red|internet|conexion|luz|corriente|linea|lineas|sistema|acceso|telefono|"
        "telefonos|senal|wifi|servicio",
        "fallo|falla|fallando|error|errores =0.5", "bloqueado|colgado|congelado =0.6",
        "parados|parado|paralizado|paralizados", "desconectado|desconectados|desconecta",
        "caido|caida", "no hay _2 red|luz|internet|sistema|linea|servicio",
        "nadie _4 puede|pueden|podemos|consigue",
    ]),
    "deadline": (1.4, [
        "antes|para _2 las|la # ?h|horas|hrs|am|pm", "hoy es ?el ultimo|dia|cierre|corte",
        "corte|cierre|vencimiento|plazo _8 hoy", "corte|cierre|vencimiento|plazo _8 las #",
        "hoy antes|mismo", "en|dentro _2 # minutos|min|horas|hora",
        "en media hora", "en una hora", "si no salen|sale _2 hoy",
        "tiene|tienen|tenemos que _4 hoy", "urge",
    ]),
    "impact": (0.9, [
        "clientes|pacientes _4 no pueden|esperando|escuchan|llaman|afectados",
        "perdemos|perdiendo|perder _3 dinero|ventas|pedidos|clientes|trabajo|ventana",
        "no podemos _3 facturar|vender|despachar|enviar|cobrar|atender|operar|trabajar",
        "camiones|pedidos|envios _4 esperando|parados|detenidos",
        "produccion|linea _3 parada|detenida|parado",
        "nomina|sueldos|salarios _6 no|tarde|retraso",
        "desastre =0.5",
    ]),
    "pressure": (0.3, ["urgente|urgentes|urgencia|inmediato|inmediatamente|critico", "ya mismo"]),
    "resolved": (-3.0, [
        "ya funciona|funcionan|anda|va|salen|esta|estan|entra|entran|carga",
        "funciona|funcionan|funciono _2 bien|perfecto|otra|nuevo|ya",
        "solucionado|solucionada|resuelto|resuelta|arreglado|arreglada|reparado|restablecido"
        "|restaurado|restaurados|restaurada",
        "volvio|volvieron|vuelve _3 funcionar|servicio|linea", "listo|hecho =-1.0",
        "ya salieron|salieron _2 todos", "todo bien|correcto", "en orden", "falsa alarma",
        "no hay _2 fuego|humo|fuga|peligro", "controlado|contenido|aislado =-2.0",
        "ya|han _2 llegado|llegaron", "se ve|ven bien", "comprobado", "regreso|regresaron",
        "todos bien", "a salvo",
    ]),
    "handled": (-2.0, ["ya estan|esta aqui", "ya llego|llegaron", "hablando con"]),
    "planned": (-3.0, [
        "programado|programada|planificado|planificada|previsto|prevista",
        "mantenimiento programado|planificado", "la semana|mes que viene",
        "proxima|proximo semana|mes|lunes|martes|miercoles|jueves|viernes|sabado|domingo",
        "aviso|recordatorio", "para su informacion", "para que lo sepan",
        "simulacro|simulacion|ejercicio|formacion|capacitacion|entrenamiento",
        "no hace falta _2 accion|nada", "no se requiere _2 accion",
    ]),
    "later": (-0.8, ["manana|pasado", "lunes|martes|miercoles|jueves|viernes|sabado|domingo",
                     "la semana|mes que viene"]),
    "howto": (-1.8, [
        "como _2 cambio|pongo|hago|agrego|anado|configuro|paso|puedo|se|instalo|activo|"
        "quito|cambiar|poner|hacer",
        "es posible", "se puede|podria", "podrian|podriais|pueden _3 darme|crear|instalar",
        "necesitaria|necesito|quisiera|solicito _3 licencia|acceso|permiso|cuenta|monitor",
    ]),
    "minor": (-1.0, [
        "sin prisa|prisas", "no es urgente", "nada grave", "no corre prisa",
        "cuando puedan|podais|tengan", "seguramente no sea nada",
        "fondo|fuente|firma|logo|color|icono|tema|idioma =-1.5",
    ]),
    "single": (-0.4, [
        "mi portatil|laptop|computadora|ordenador|equipo|cuenta|celular|movil|correo|pantalla|"
        "contrasena|teclado|impresora",
        "solo a mi|yo", "solo me pasa",
    ]),
    "ongoing": (0.0, [
        "sigue|siguen|seguimos|continua|continuan", "todavia|aun", "otra vez", "de nuevo",
        "alguna novedad|noticia", "nada todavia", "ya son",
    ]),
    "thanks": (1.0, ["gracias|agradezco|agradecido|agradecida|agradecemos"]),
    "praise": (2.0, [
        "muchas|mil|muchisimas gracias =1.5", "muchisimas gracias",
        "perfecto|perfecta|genial|excelente|estupendo|fenomenal|buenisimo =1.2",
        "funciono|funciona perfecto|perfectamente|genial",
        "nos|me salvaron|salvasteis|salvaste|salvo", "que rapido|rapidez", "buen trabajo",
        "gran trabajo", "por la rapidez|ayuda|paciencia", "muy amables|amable",
    ]),
    "relief": (1.5, ["menos mal", "que alivio", "por fin =0.6", "todo bien =0.8"]),
    "complaint": (-1.8, [
        "segunda|tercera|cuarta|quinta vez _4 que|escribo|llamo|pido|reporto",
        "llevamos|llevo _3 dias|semanas|horas|asi", "cuantas veces", "sin respuesta",
        "nadie _3 contesta|responde|respondio|contesto|hace|atiende",
        "otra vez _2 la|el|lo", "siempre igual",
        "todos los dias|meses|semanas", "ya van|son _2 dias|semanas|horas|minutos",
        "asi no _2 llegamos|podemos|puede", "es la segunda|tercera semana|vez",
        "a ver si", "alguna novedad =-0.6", "sigo|seguimos esperando", "de verdad =-0.6",
        "tarda|tardan tanto", "ya pasaron|van|llevan _2 dias|semanas|horas",
        "casi|mas _2 semana|mes", "seguimos|siguen|sigo _2 parados|parado|igual|sin",
        "hay alguien", "ya no puedo|podemos",
        "que remedio", "que servicio", "cada vez =-1.0", "ya viene alguien|nadie",
        "viene alguien",
        "inadmisible|intolerable", "a ciegas", "ultima vez", "cada dia|manana",
    ]),
    "frustration": (-2.2, [
        "harto|harta|hartos|cansado|cansada|molesto|molesta|enfadado|enfadada|enojado|enojada|"
        "furioso|furiosa|frustrado|frustrada|frustrante|indignado|inaceptable|vergonzoso|"
        "ridiculo|desastre|horrible|pesimo|fatal",
        "esto es un desastre|caos", "no puede ser", "me canse|harte", "ya me canse",
    ]),
    "worry": (-2.0, [
        "preocupado|preocupada|preocupados|preocupadas|preocupa|nervioso|nerviosa|nerviosos|"
        "miedo|asustado|asustada|desesperado|desesperada|desesperados|angustia|panico",
        "que hacemos|hago", "estresado|estresados|estres", "no sabemos si =-1.0",
        "ya no se que hacer",
        "lo siento muchisimo|mucho =-1.0", "no se que he _2 tocado|hecho", "caos",
    ]),
    "irony": (0.0, ["genial|estupendo|fantastico|maravilloso|perfecto", "me encanta|encantan",
                    "que bien", "lo que faltaba"]),
    "greeting": (0.0, ["buena|buenas tarde|tardes|noches", "buen dia", "feliz dia|fin",
                       "gracias de antemano", "gracias y buena|buen"]),
    "agent": (0.0, ["agent update", "hemos _2 pedido|reiniciado|cambiado|restablecido"]),
}

NEGATORS = ("no", "sin", "nunca", "ni", "ningun", "ninguna", "ninguno", "tampoco", "nada")

TRAPS = ("prueba|pruebas _2 humo", "simulacro|simulacion|ejercicio|formacion|capacitacion",
         "bateria baja", "prueba|pruebas|test")
