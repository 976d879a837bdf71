"""German, French, Italian and Portuguese cues (notation: ``processors.tickets.cues``;
accents folded). Smaller than the English and Spanish lexicons: the cue families that decide
most tickets (safety, security, many people blocked, deadlines, fixed, thanks, complaints),
so these languages are read rather than left neutral."""

from __future__ import annotations


def _fam(**families: tuple[float, list[str]]) -> dict[str, tuple[float, list[str]]]:
    return families


DE = _fam(
    safety=(3.2, ["riecht|geruch|gasgeruch _3 gas|verbrannt|rauch|brand", "gasgeruch|gasleck",
                  "rauch|qualm|feuer|flammen|brand|brennt", "feueralarm|brandmeldeanlage|"
                  "brandmelder _4 storung|fehler|alarm|piept", "eingeschlossen|eingesperrt|"
                  "steckt|stecken _4 aufzug|fahrstuhl", "aufzug|fahrstuhl _6 stecken|steckt|"
                  "eingeschlossen", "verletzt|bewusstlos|krankenwagen|notarzt",
                  "evakuieren|evakuierung", "verlassen das gebaude"]),
    facility=(2.8, ["wasser|tropft|leck _8 server|rack|schrank|verteiler|switch|usv",
                    "serverraum _8 warm|heiss|grad|temperatur|klimaanlage",
                    "klimaanlage|kuhlung _8 serverraum", "# grad|c _6 serverraum",
                    "serverraum _6 #", "tur _6 offen _4 serverraum|rechenzentrum"]),
    security=(3.2, ["ransomware|losegeld|bitcoin", "dateien _4 verschlusselt",
                    "passwort|kennwort|zugangsdaten _4 eingegeben =1.7",
                    "gefalschte|gefalscht|phishing _3 seite|mail|link =1.6",
                    "gehackt|kompromittiert =2.6", "jemand _4 steuert|bewegt _3 maus|rechner|pc"]),
    scope=(1.4, ["ganze|ganzen|gesamte|gesamten|komplette|kompletten|alle _2 og|stock|etage|"
                 "buro|standort|lager|abteilung|team|gebaude|firma|mitarbeiter|kollegen|leute",
                 "niemand _4 kann|konnen", "keiner _4 kann", "## _2 leute|personen|mitarbeiter|"
                 "kollegen|benutzer", "bei allen =0.8"]),
    outage=(0.9, ["geht nicht", "funktioniert|funktionieren nicht", "kein|keine netzwerk|"
                  "internet|verbindung|strom|zugriff|wlan|lan", "ausgefallen|ausfall|offline|down",
                  "nicht _2 erreichbar|anmelden|drucken|arbeiten|verbinden", "immer noch nichts"]),
    deadline=(1.4, ["bis|vor # ?uhr", "heute _3 bis|frist|deadline", "in # minuten|stunden",
                    "in einer stunde"]),
    impact=(0.9, ["kann|konnen gar nicht arbeiten", "kunden _4 warten|konnen"]),
    pressure=(0.3, ["dringend|sofort|eilig"]),
    resolved=(-3.0, ["lauft|laufen|geht|funktioniert|klappt _3 wieder|jetzt",
                     "klappt", "behoben|gelost|repariert|erledigt"]),
    handled=(-2.0, ["ist|sind _2 da", "vor ort"]),
    planned=(-3.0, ["geplant|geplante|wartung|wartungsfenster|ubung|schulung", "nachste|nachsten "
                    "woche|montag"]),
    later=(-0.8, ["morgen", "nachste woche"]),
    howto=(-1.8, ["wie _3 kann|andere|fuge", "ist es moglich"]),
    minor=(-1.0, ["nur zur info", "nicht dringend", "keine eile", "vielleicht ist das _2 normal"]),
    single=(-0.4, ["mein|meine laptop|passwort|rechner|konto"]),
    ongoing=(0.0, ["immer noch", "noch", "wieder", "schon wieder"]),
    thanks=(1.0, ["danke|dank|bedanken|vielen"]),
    praise=(2.0, ["super|toll|klasse|prima|perfekt|spitze =1.5", "weiter so", "vielen dank"]),
    relief=(1.5, ["zum gluck", "endlich"]),
    complaint=(-1.8, ["wie lange _3 noch|dauert", "schon wieder", "zum # mal",
                      "dritte|vierte mal", "keine antwort|reaktion"]),
    frustration=(-2.2, ["argerlich|nervig|nervt|unmoglich|frustrierend|katastrophe|sauer|"
                        "wutend"]),
    worry=(-2.0, ["sorge|sorgen|angst|besorgt|panik|nervos"]),
    irony=(0.0, []), agent=(0.0, []),
)
DE_NEGATORS = ("kein", "keine", "nicht", "nie", "ohne")

FR = _fam(
    safety=(3.2, ["odeur|sent|sens _3 gaz|brule|fumee", "fuite de gaz", "fumee|feu|flammes|"
                  "incendie|brule", "alarme incendie", "coince|coinces|bloque|bloques _4 "
                  "ascenseur", "ascenseur _6 bloque|coince|personnes", "blesse|inconscient|"
                  "ambulance|pompiers", "evacu|evacuer|evacuation|evacuons"]),
    facility=(2.8, ["eau|fuite|goutte _8 serveur|baie|armoire|switch|onduleur",
                    "salle serveur|serveurs _8 chaud|chaleur|degres|temperature|climatisation"]),
    security=(3.2, ["ransomware|rancon|bitcoin", "fichiers _4 chiffres|cryptes",
                    "mot de passe _4 saisi|entre|tape =1.7", "faux|fausse|phishing|hameconnage "
                    "_3 site|mail|lien|page =1.6", "pirate|piratage|compromis =2.6"]),
    scope=(1.4, ["tout|toute|tous|toutes _2 etage|bureau|site|entrepot|service|equipe|batiment|"
                 "personnel|monde|utilisateurs", "personne ne _2 peut|arrive",
                 "aucun badge|poste|utilisateur", "## _2 personnes|utilisateurs|collaborateurs",
                 "quarantaine|vingtaine|trentaine|cinquantaine _2 personnes"]),
    outage=(0.9, ["ne marche|fonctionne|fonctionnent|marchent|ouvre|ouvrent plus|pas",
                  "plus|pas de reseau|internet|connexion|courant|acces|wifi",
                  "en panne", "hors ligne", "coupe|coupure|down", "n'arrive pas", "n'ouvre"]),
    deadline=(1.4, ["avant # ?h", "aujourd'hui _3 avant|limite", "dans # minutes|heures",
                    "dans une heure"]),
    impact=(0.9, ["clients _4 attendent|peuvent", "attendent _3 hall"]),
    pressure=(0.3, ["urgent|urgence|immediatement"]),
    resolved=(-3.0, ["fonctionne|fonctionnent|marche|marchent _3 nouveau|maintenant",
                     "c'est reparti", "resolu|repare|regle", "c'est fait"]),
    handled=(-2.0, ["est|sont arrive|arrives|la"]),
    planned=(-3.0, ["prevu|prevue|planifie|maintenance|exercice|formation", "semaine prochaine"]),
    later=(-0.8, ["demain", "jeudi|vendredi|lundi|mardi|mercredi prochain",
                  "semaine prochaine"]),
    howto=(-1.8, ["est-il possible", "comment _3 changer|ajouter|faire", "serait-il possible",
                  "possible de"]),
    minor=(-1.0, ["pas urgent", "rien de grave", "quand vous pourrez"]),
    single=(-0.4, ["mon ordinateur|compte|mot|poste"]),
    ongoing=(0.0, ["toujours", "encore", "de nouveau"]),
    thanks=(1.0, ["merci"]),
    praise=(2.0, ["parfait|super|genial|excellent|bravo =1.5", "merci beaucoup"]),
    relief=(1.5, ["enfin|ouf"]),
    complaint=(-1.8, ["encore une fois", "toujours rien", "combien de temps", "troisieme fois",
                      "se plaignent|plainte|plaintes|mauvaises notes", "penible"]),
    frustration=(-2.2, ["inacceptable|agace|enerve|frustrant|catastrophe|marre"]),
    worry=(-2.0, ["inquiet|inquiete|peur|panique|stress"]),
    irony=(0.0, []), agent=(0.0, []),
)
FR_NEGATORS = ("pas", "plus", "aucun", "aucune", "sans", "jamais", "ni")

IT = _fam(
    safety=(3.2, ["odore|puzza _3 gas|bruciato|fumo", "fuga di gas", "fumo|fuoco|fiamme|incendio",
                  "allarme antincendio", "bloccato|bloccati|bloccata _4 ascensore",
                  "ascensore _6 bloccato|fermo|persone", "ferito|svenuto|ambulanza|pompieri",
                  "evacuare|evacuazione|evacuando"]),
    facility=(2.8, ["acqua|perdita|gocciola _8 server|rack|armadio|switch|ups",
                    "sala server|ced _8 caldo|temperatura|gradi|condizionatore"]),
    security=(3.2, ["ransomware|riscatto|bitcoin", "file _4 criptati|cifrati",
                    "password|credenziali _4 inserito|inserita|messo =1.7",
                    "falso|falsa|phishing _3 sito|mail|link|pagina =1.6",
                    "hackerato|compromesso|compromessa =2.6"]),
    scope=(1.4, ["tutto|tutta|tutti|tutte _2 piano|ufficio|sede|magazzino|reparto|negozio|"
                 "negozi|utenti|colleghi|persone", "nessuno _4 riesce|puo|riusciamo",
                 "## _2 persone|utenti|colleghi|casse"]),
    outage=(0.9, ["non funziona|funzionano|va|vanno|riesco|riusciamo|parte|stampa",
                  "senza rete|internet|connessione|corrente|linea", "bloccato|bloccata =0.5",
                  "offline|down|guasto", "fuori servizio"]),
    deadline=(1.4, ["entro _2 le|oggi # ?h", "entro oggi|stasera|mezzogiorno",
                    "tra # minuti|ore", "tra un'ora"]),
    impact=(0.9, ["clienti _4 aspettano|coda|fila", "non possiamo _2 vendere|incassare"]),
    pressure=(0.3, ["urgente|subito|immediatamente"]),
    resolved=(-3.0, ["funziona|funzionano|va _3 nuovo|adesso|ora", "risolto|sistemato|"
                     "riparato", "tutto ok", "tutto a posto"]),
    handled=(-2.0, ["e arrivato|arrivata|qui", "sono arrivati"]),
    planned=(-3.0, ["previsto|programmato|pianificato|manutenzione|esercitazione|formazione",
                    "settimana prossima"]),
    later=(-0.8, ["domani", "settimana prossima"]),
    howto=(-1.8, ["come _3 aggiungo|cambio|faccio|posso", "e possibile"]),
    minor=(-1.0, ["non e urgente", "niente di grave", "quando potete"]),
    single=(-0.4, ["mio|mia _2 pc|computer|account|password"]),
    ongoing=(0.0, ["ancora", "di nuovo", "sempre"]),
    thanks=(1.0, ["grazie"]),
    praise=(2.0, ["perfetto|ottimo|grande|bravissimi|bravi =1.5", "grazie mille"]),
    relief=(1.5, ["finalmente"]),
    complaint=(-1.8, ["ancora niente", "terza|quarta volta", "quanto tempo", "nessuna risposta",
                      "si lamentano|lamentele", "da un mese", "ogni mattina|giorno"]),
    frustration=(-2.2, ["inaccettabile|assurdo|vergogna|stufo|stufa|disastro|arrabbiato"]),
    worry=(-2.0, ["preoccupato|preoccupata|paura|panico|ansia"]),
    irony=(0.0, []), agent=(0.0, []),
)
IT_NEGATORS = ("non", "nessun", "nessuna", "senza", "mai", "ne")

PT = _fam(
    safety=(3.2, ["cheiro|cheira _3 gas|queimado|fumo", "fuga de gas", "fumo|fumaca|fogo|chamas|"
                  "incendio", "alarme de incendio", "preso|presos|presa _4 elevador|elevador",
                  "elevador _6 parado|preso|pessoas", "ferido|desmaiado|ambulancia|bombeiros",
                  "evacuar|evacuacao|evacuando"]),
    facility=(2.8, ["agua|fuga|pinga _8 servidor|servidores|rack|bastidor|switch|ups",
                    "sala _2 servidores _8 quente|calor|temperatura|graus|ar"]),
    security=(3.2, ["ransomware|resgate|bitcoin", "ficheiros|arquivos _4 encriptados|cifrados",
                    "senha|palavra-passe|credenciais _4 coloquei|inseri|digitei =1.7",
                    "falso|falsa|phishing _3 site|email|link|pagina =1.6",
                    "hackeado|invadido|comprometido =2.6"]),
    scope=(1.4, ["todo|toda|todos|todas _2 escritorio|andar|loja|lojas|armazem|equipa|equipe|"
                 "predio|edificio|pessoas|utilizadores|usuarios", "escritorio|loja|armazem "
                 "inteiro|inteira", "ninguem _4 consegue|pode", "## _2 pessoas|utilizadores|"
                 "usuarios|colegas"]),
    outage=(0.9, ["nao funciona|funcionam|consigo|conseguimos|liga|abre|imprime",
                  "sem internet|rede|ligacao|conexao|luz|energia|acesso",
                  "offline|avariado|avariada", "em baixo", "fora do ar", "caiu"]),
    deadline=(1.4, ["ate as # ?h", "hoje _3 ate", "em # minutos|horas",
                    "daqui a # minutos|horas"]),
    impact=(0.9, ["clientes _4 esperando|espera|fila"]),
    pressure=(0.3, ["urgente|imediatamente"]),
    resolved=(-3.0, ["ja _3 temos|funciona|funcionar|voltou", "funciona|funcionam _2 "
                     "novo|agora|vez", "resolvido|resolvida|arrumado|reparado",
                     "da para trabalhar"]),
    handled=(-2.0, ["ja chegou|chegaram"]),
    planned=(-3.0, ["previsto|agendado|planeado|planejado|manutencao|simulacao|formacao",
                    "proxima semana"]),
    later=(-0.8, ["amanha", "proxima semana", "feira de"]),
    howto=(-1.8, ["como _3 adiciono|mudo|faco|posso", "preciso de acesso", "e possivel"]),
    minor=(-1.0, ["nao e nada grave", "nao e urgente", "quando puderem"]),
    single=(-0.4, ["meu|minha _2 teclado|portatil|computador|conta|senha"]),
    ongoing=(0.0, ["ainda", "de novo", "outra vez"]),
    thanks=(1.0, ["obrigado|obrigada|agradeco"]),
    praise=(2.0, ["perfeito|otimo|excelente|fantastico =1.5", "muito obrigado|obrigada"]),
    relief=(1.5, ["finalmente"]),
    complaint=(-1.8, ["ja passaram _3 dias|semanas", "dias|semanas|horas e nada",
                      "ainda nao _2 chegou|chegaram|funciona",
                      "voltou a acontecer", "ja nao sei", "terceira|quarta vez",
                      "outra vez =-0.8"]),
    frustration=(-2.2, ["inaceitavel|absurdo|farto|farta|ridiculo|desastre|desesperante"]),
    worry=(-2.0, ["preocupado|preocupada|medo|panico|nervoso", "fiz asneira",
                  "nao sei se chega"]),
    irony=(0.0, []), agent=(0.0, []),
)
PT_NEGATORS = ("nao", "nenhum", "nenhuma", "sem", "nunca", "nem")

TRAPS = ("teste|test|tests|testes|prova|ubung|exercice|esercitazione|simulacao|simulation",
         "schulung|formation|formazione|formacao")
