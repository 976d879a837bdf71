"""Which language a ticket text is in.

Two steps, cheapest first. Function-word profiles (words that carry grammar, not topic) decide
the languages we have cue lexicons for when the evidence is clear; they are also the only way to
see romanised Hindi and Telugu, which no packaged identifier knows (to py3langid they look like
English or Indonesian). Everything else goes to py3langid (its naive-Bayes model ships in the
wheel: nothing is downloaded), restricted to the languages tickets are expected in, which makes
it right on texts of a few words. A short, uninformative text ("ok", "VPN down") inherits the
language its thread was written in.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from processors.tickets.text import letters_ratio_latin

READABLE = frozenset({"en", "es", "hi-latn", "te-latn", "de", "fr", "it", "pt"})
"""Languages with cue lexicons: their texts are scored. Others are ``readable=False``."""

DEFAULT_CANDIDATES = (
    "en", "es", "fr", "de", "it", "pt", "nl", "pl", "tr", "ro", "sv", "da", "no", "fi", "cs",
    "hu", "ru", "uk", "el", "ar", "he", "hi", "te", "ta", "bn", "ur", "zh", "ja", "ko", "vi",
    "id", "ms", "th", "ca")
"""Languages py3langid may answer (a shortlist is far more accurate on short texts)."""

_W = {
    "en": """the is are was were been be to of and on it it's its this that with for my i i'm
        i've we we're you you're your can't cannot don't didn't doesn't isn't won't have has had
        from at there they our any just since after but or will would should what how why when
        who get got out up about so an by if as do does here where which than then also only
        still again now all some one can could been being into their them us me since
        update updates today morning someone nobody everyone anyone there's that's yes""",
    "es": """el la los las del que y es esta estan hay pero como ya desde hoy sigue tengo
        tenemos puedo podemos hola buenas al sin muy tambien cuando donde porque este esto eso
        estoy estamos todo todos nada otra vez ustedes usted os vale lo le mi nos una un se no
        de en por para con me su sus son fue ha han he hemos nadie alguien algo aun despues
        gracias listo ahora tambien mucho""",
    "pt": """o os as do da dos das que e nao em no na nos nas um uma com para por se ja mas
        esta estao meu minha voce obrigado obrigada bom ola ainda tambem quando isso isto ele ela
        foi sao sem tudo nada consigo estamos ha ao pelo pela seu sua ninguem alguem depois""",
    "it": """il lo la i gli le di del della dei che e non un una per con da sono ho abbiamo
        mi ci si ma anche ancora gia come quando questo questa quello tutto tutti niente nessuno
        grazie buongiorno ciao funziona riesco siamo nel nella alla al sul dopo oggi""",
    "fr": """le la les des du de un une est et pas ne je nous vous il elle ce cette ces qui
        que avec pour sur dans au aux mon ma mes notre votre plus tout tous rien personne merci
        bonjour depuis encore deja aujourd'hui c'est n'est j'ai on sont ont fait""",
    "de": """der die das den dem des ein eine einen und ist nicht ich wir sie es mit fur auf
        im in zu von bei seit noch schon kein keine keiner mein meine unser bitte danke hallo
        geht funktioniert kann konnen haben hat sind wird auch nur aber oder wie was heute""",
    "hi-latn": """hai hain nahi nahin nhi raha rahi rahe kar karo karna karke kiya kiye ka ke ko
        mein se chal mil bhi aur hua hui gaya gayi gaye tha thi kya kyun kaise kab kahan abhi
        jaldi bahut
        yeh ye woh wo mera meri mere mujhe humein hum hamari hamara aap aapka apna apne kuch koi
        sab sabko wala wali wale diya dijiye dekho dekh liya hoon hu hun tak pe baar phir lekin
        magar bas theek thik accha acha achha haan mat chahiye sakte sakta sakti hoga hogi yaar
        bhaiya ji shukriya dhanyavad pareshan aaya aayi jata jati jate kal aaj subah shaam baje
        log logon saath liye dono ab agar toh waala wahi yahan wahan kaam khul dikh bolta maang
        wapas nikal gayab kharab hamesha kyunki matlab batao bataiye karu karun karein rahega""",
    "te-latn": """undi unna unnaru unnayi ledu ledhu leru ayindi ayyindi aindi avutundi
        avtondi avvatledu avvaledu cheyyandi cheyandi cheyali cheyatledu cheyyatledu chesanu
        chesi chesina chestunna chestunnanu chestundi kavali kaavali emi enti enduku ela ippudu
        inka kuda kooda chaala nundi nunchi daggara tarvata gurinchi andi garu meeru memu nenu
        naaku naku maaku maa naa mee vachindi vastundi vastondi vastunnayi raavatledu raaledu
        pani poyindi vundi kani mari ante ee oka okka evaru evvariki evariki antha motham mandi
        roju ninna repu podduna saayantram malli twaraga tondaraga jagrattaga baagundi bagundi
        baagane sare parledu cheppandi chupistundi vaallu vallu vaallaki iddaru pampandi pampali
        chusanu chudandi thelidu telidu kaaledu ayipoyindi aagipoyindi vachesaru vachayi
        avvadam cheyagalara cheptanu emaina unda paadaipoindi padaipoyindi unte kosam lopala
        bayata bayataki chala ki lo ni ga""",
}
PROFILES: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _W.items()}
_WEAK = {"hi-latn": frozenset({"ki", "ka", "ke", "ko", "ho", "ye", "wo", "ab", "ji", "pe",
                               "mein", "hum", "log", "bas", "par", "se", "mil"}),
         "te-latn": frozenset({"ki", "lo", "ni", "ga", "ee", "ante", "mari"})}
"""Short words other languages also use: half a vote."""
_ROMANISED = ("hi-latn", "te-latn")
_OTHER_WORDS = """het een van niet ik geen zijn ook nog bij wij jullie heeft hebben
    och att det inte jag har kan vi ikke jeg af med til er og nie jest sie czy tak
    bir ve bu da icin degil ben ne gibi si nu este sunt pentru cu sau ce yang dan tidak
    ini itu saya ada untuk dengan els les amb per aixo tambe"""
_OTHER = frozenset(_OTHER_WORDS.split())
"""Function words of languages we read no cues of (Dutch, Scandinavian, Polish, Turkish,
Romanian, Indonesian, Catalan): when they compete with thin evidence, py3langid decides."""
_VOTES: dict[str, tuple[tuple[str, float], ...]] = {}
for _lang, _words in PROFILES.items():
    for _w in _words:
        _weak = _WEAK.get(_lang)
        _VOTES[_w] = (*_VOTES.get(_w, ()), (_lang, 0.5 if _weak and _w in _weak else 1.0))


@lru_cache(maxsize=4)
def _identifier(candidates: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # the wheel's model
    known = set(ident.nb_classes)
    ident.set_languages([c for c in candidates if c in known])
    return ident


class LanguageDetector:
    """``detect(raw, tokens, prior)`` -> ``(language, confidence)``."""

    def __init__(self, candidates: tuple[str, ...] = DEFAULT_CANDIDATES) -> None:
        self.candidates = candidates
        self._lib = _identifier(candidates)

    def profile_scores(self, toks: list[str]) -> dict[str, float]:
        scores: dict[str, float] = {}
        get = _VOTES.get
        # the grammar shows in the first lines
        for v in [v for t in toks[:80] if (v := get(t)) is not None]:
            for lang, w in v:
                scores[lang] = scores.get(lang, 0.0) + w
        return scores

    def detect(self, raw: str, toks: list[str], prior: str | None = None) -> tuple[str, float]:
        if letters_ratio_latin(raw) < 0.5:
            return self._library(raw)
        if not toks:
            return (prior or "und"), 0.0
        scores = self.profile_scores(toks)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        top, top_s = ranked[0] if ranked else (None, 0.0)
        second_s = ranked[1][1] if len(ranked) > 1 else 0.0
        # romanised Hindi/Telugu: grammar words decide even among many English nouns
        roman = max(_ROMANISED, key=lambda k: scores.get(k, 0.0))
        roman_s = scores.get(roman, 0.0)
        other_roman = scores.get(_ROMANISED[1] if roman == _ROMANISED[0] else _ROMANISED[0], 0)
        latin = max((v for k, v in scores.items() if k not in _ROMANISED), default=0.0)
        if roman_s >= 2 and roman_s >= 1.5 * other_roman and (
                roman_s >= 0.4 * latin if top in ("en", *_ROMANISED) else roman_s > latin):
            return roman, min(1.0, roman_s / 4)
        if top is not None and top_s >= 2 and top_s >= 2 * second_s \
                and top_s >= 0.12 * len(toks):
            if top_s >= 4 and top_s >= 3 * second_s:
                return top, min(1.0, top_s / 5)
            # thin evidence ("is", "de"): a language we read no cues of may share it
            if self._other_votes(toks) * 2 >= top_s:
                lang, p = self._library(raw)
                if lang != top and lang not in PROFILES and p >= 0.9:
                    return lang, p
            return top, min(1.0, top_s / 5)
        if prior and len(toks) <= 6 and (top is None or top == prior or top_s < 2):
            return prior, 0.5
        if top is not None and top_s >= 1 and second_s == 0 and len(toks) <= 4:
            return top, 0.4
        lang, p = self._library(raw)
        if prior and p < 0.6 and len(toks) <= 12:
            return prior, 0.5
        return lang, p

    @staticmethod
    def _other_votes(toks: list[str]) -> int:
        return sum(1 for t in toks[:80] if t in _OTHER)

    def _library(self, raw: str) -> tuple[str, float]:
        lang, p = self._lib.classify(raw[:1000])
        return str(lang), float(p)
