"""Romanised Hindi (``hi-latn``) and Telugu (``te-latn``) cues (notation:
``processors.tickets.cues``). Spelling varies (nahi/nahin/nhi, cheyyatledu/cheyatledu), so the
common variants are listed. These texts mix in English nouns and phrases ("server room",
"not working", "urgent"): the English lexicon runs on them too. Negation follows the verb
("gas ki smell nahi hai", "pogalu ledu"), so it is looked for after a cue as well."""

from __future__ import annotations

_HI_GROUP = ("office|floor|team|department|dept|godown|warehouse|branch|site|building|company|"
             "staff|accounts|finance|hr|sales|store|shop|plant|factory|wing|section")
_TE_GROUP = _HI_GROUP

HI: dict[str, tuple[float, list[str]]] = {
    "safety": (3.2, [
        "gas ki|ka _2 smell|badboo|gandh|leak", "dhuan|dhuaan|dhua|dhuyein|dhuan",
        "aag _2 lagi|lag|laga|lagne", "jal _2 raha|rahi|rahe|gaya|gayi", "jalne ki",
        "chingari|chingariyan", "phasa|phase|phasi|fanse|fansa|fasa|fase|atke|atka _4 lift|"
        "andar|hain|hai|hue",
        "lift _6 phasa|phase|fanse|atka|atki|atke|ruk|band _4 andar|log",
        "behosh|chot|khoon|zakhmi|ghayal|ambulance", "current|shock _2 laga|lag",
        "bahar nikal|nikalna|nikaal _2 rahe|raha|diya|do",
    ]),
    "facility": (2.8, [
        "paani|pani _6 tapak|gir|leak|aa _6 server|rack|cabinet|switch|ups|panel",
        "server|rack _6 paani|pani|geela", "server room _6 garam|garmi|temperature",
        "ac _6 band|kharab|leak _6 server|rack",
    ]),
    "security": (3.2, [
        "apne aap _3 chal|khul|hil|move", "maine _4 nahi|nahin _2 kholi|khola|kiya|start|"
        "kholi|install =1.2",
        "password|credentials|details _4 daal|dala|daala|diya|dal =1.7",
        "link _3 click|kholi|khola =1.5", "fake|nakli|farzi _3 mail|link|page|website =1.6",
        "hack _2 ho|hua|kar", "paise _3 kat|nikal|transfer", "payment na nikal",
    ]),
    "scope": (1.4, [
        f"poore|pura|puri|poora|pure|saare|sare|sabhi|sab|poori _2 {_HI_GROUP}",
        "kisi ka|ke|ki _2 bhi nahi|nahin", "koi bhi _4 nahi|nahin",
        "sab log|logon|ko|ka", "sabka|sabke|sabko|sabki", "## _2 log|logon|bande|users|mandi",
        "bahut saare|sare _2 log|users",
    ]),
    "outage": (0.9, [
        "nahi|nahin|nhi _2 chal|chalta|khul|khulta|ho|aa|kar|ja|mil|lag|dikh _2 raha|rahi|rahe|"
        "raha|hai",
        "kaam nahi|nahin|nhi", "band _2 ho|hai|pada|padi|gaya", "ruk _2 gaya|gayi|gaye",
        "atak _2 gaya|gayi|raha", "kharab _2 hai|ho", "gayab", "chala gaya|gayi",
        "down hai|ho",
        "wifi|network|net|internet|light|bijli|current|vpn|mail|system|server _2 nahi|nahin|"
        "nhi|gayi|gaya|chali|band",
    ]),
    "deadline": (1.4, [
        "aaj _4 # baje|bje _2 tak|pehle", "# baje|bje _2 tak|pehle|hai",
        "demo|meeting|call|presentation _3 # baje|bje",
        "aaj shaam|raat|dopahar _3 tak", "aaj hi", "# minute|minutes|ghante|ghanta _2 mein|me",
        "abhi # baj",
    ]),
    "impact": (0.9, [
        "kuch kar nahi|nahin _2 sakte|sakta|sakti|pa", "customer|customers|grahak _4 wait|"
        "intezaar|pareshan", "nuksaan|nuksan", "salary _6 nahi|nahin|late|ruki",
    ]),
    "pressure": (0.3, ["jaldi|turant|abhi", "fauran"]),
    "resolved": (-3.0, [
        "theek|thik|sahi|fix|resolve|solve _2 ho _2 gaya|gayi|gaye|hai",
        "chal raha|rahi|rahe|gaya|gayi|padi", "kaam kar _2 raha|rahi|rahe",
        "connect _2 ho _2 gaye|gaya|gayi", "mil gaya|gayi|gaye", "aa gaya|gayi|gaye|gayi =-1.5",
        "sab theek|thik|sahi|ok", "band kar diya =-1.5", "ho gaya =-1.2", "nikaal|nikal diya "
        "=-1.0",
    ]),
    "handled": (-2.0, ["call aa gaya|gayi", "baat kar _2 raha|rahi|rahe", "aa gaye|gaya _3 hain|"
                       "hai|technician"]),
    "planned": (-3.0, ["agle|agla _2 hafte|mahine|hafta|mahina|somvar|monday",
                       "planned|scheduled|training"]),
    "later": (-0.8, ["kal tak", "agle hafte|mahine"]),
    "howto": (-1.8, ["kaise _3 karte|karu|karun|lagaun|lagaye|badlu|badle|add|kare|karein",
                     "chahiye =-1.0"]),
    "minor": (-1.0, ["koi jaldi nahi", "jab time mile", "aaram se", "bas batana tha",
                     "bas _3 nahi dikh"]),
    "single": (-0.4, ["mera|meri|mere _2 laptop|pc|computer|account|phone|password"]),
    "ongoing": (0.0, ["abhi bhi|tak", "ab bhi|tak", "phir se", "fir se", "wapas", "dobara",
                      "koi update"]),
    "thanks": (1.0, ["shukriya|dhanyavad|dhanyawad|dhanyavaad"]),
    "praise": (2.0, ["bahut|bohot _2 accha|achha|badhiya|shukriya", "badhiya|zabardast|kamaal|"
                     "mast =1.5", "thank you so much", "quick action"]),
    "relief": (1.5, ["chalo|chaliye _2 theek|accha"]),
    "complaint": (-1.8, [
        "teesri|tisri|chauthi|doosri|dusri baar", "har baar|mahine|hafte|din",
        "kab tak =-0.6", "koi dekh _2 bhi|raha", "koi update =-0.6",
        "subah|kal|parso se _4 nahi|nahin =-1.0", "koi jawab|reply _2 nahi|nahin",
        "kitni baar", "permanent fix", "roz|hamesha _3 hota|yahi",
        "wait kar _2 raha|rahi|rahe", "abhi|ab tak _4 nahi|nahin",
        "manager|boss _3 pooch|puch|bol _2 rahe|raha", "koi aa _2 raha|rahe",
        "abhi bhi same", "yaar =-0.8", "baar baar", "target _3 gaya",
    ]),
    "frustration": (-2.2, ["pareshan|pareshaan|tang|gussa|bakwas|bekar|faltu",
                           "dimag kharab", "irritating|irritate|irritated",
                           "sharam|sharminda"]),
    "worry": (-2.0, ["dar|darr|ghabra|ghabrahat|chinta|tension|ghabrahat", "kya karu|karun|"
                     "karein|karen", "dar lag"]),
    "irony": (0.0, ["wah|waah", "kya baat hai"]),
    "agent": (0.0, []),
}
HI_NEGATORS = ("nahi", "nahin", "nhi", "na", "mat", "bina", "no", "not")
HI_TRAPS = ("training", "test|testing", "drill", "demo")

TE: dict[str, tuple[float, list[str]]] = {
    "safety": (3.2, [
        "gas _2 vasana|smell|leak", "pogalu|poga|pogaa", "nippu|mantalu|mantalu",
        "kaalipothundi|kaalutondi|kaalipoyindi|kalipotundi", "current shock",
        "lift _6 aagipoyindi|aagindi|irukkupoyaru|stuck", "lopala _2 unnaru|iddaru|mandi",
        "irukkupoyaru|irukkupoyindi|chikkukunnaru", "debba|gaayam|spruha", "ambulance",
        "bayataki _2 veltunnaru|vellipoyaru|vellandi",
        "bhayapadutunnaru =0.5",
    ]),
    "facility": (2.8, ["neellu|water _6 server|rack|cabinet|ups", "server room _6 vedi|heat"]),
    "security": (3.2, [
        "password|credentials _4 enter|ichanu|icchanu|pettanu|chesanu =1.7",
        "link _3 click|open =1.5", "fake _3 mail|link|page =1.6",
        "nenu _3 start|open|install _2 cheyyaledu|cheyaledu|cheyale =1.0", "hack ayyindi",
        "daanantata|dhaanantata|tanantata _3 kadulutondi|kadulutundi|move",
    ]),
    "scope": (1.4, [
        f"motham|antha|mottam _2 {_TE_GROUP}", f"{_TE_GROUP} _2 antha|motham",
        "andaru|andariki|andarki", "evvariki|evariki|evaru _4 ledu|avvaledu|avvatledu|raavatledu",
        "## _2 mandi|people|users|members", "chala mandi|mandiki",
    ]),
    "outage": (0.9, [
        "pani _2 cheyyatledu|cheyatledu|cheyadam|cheyyadam|cheyyadamledu",
        "avvatledu|avvaledu|avvadamledu|raavatledu|ravatledu", "poyindi|poindi",
        "aagipoyindi|aagindi", "ledu =0.4", "down _2 ayyindi|undi",
        "open|connect|login _2 avvatledu|kaavatledu",
        "wifi|network|net|internet|power|current|signal|vpn|mail|mails|system|server _2 ledu|"
        "raavatledu|poyindi",
    ]),
    "deadline": (1.4, [
        "ee roju|eeroju|ivvala _4 saayantram|saayankalam|ratri|# _2 ki|lopu",
        "# _2 gantala|gantalaki|gantalalo|ganta _2 lopu|ki",
        "# nimishallo|nimishalu|nimushallo", "saayantram _3 release|deadline",
    ]),
    "impact": (0.9, ["customers _4 wait|ibbandi", "nashtam", "salary _6 raaledu|avvaledu|"
                     "credit", "calls _2 vastunnayi"]),
    "pressure": (0.3, ["twaraga|tondaraga|immediately|urgent|urgently"]),
    "resolved": (-3.0, [
        "vachindi|vachayi|vachesindi|vachesayi =-1.5", "pani _2 chestundi|chestondi|chesindi",
        "ayipoyindi|ayyipoyindi =-1.5", "baagane|bagane undi", "fix|set|solve|resolve ayyindi",
        "okay|ok _2 unnaru|undi", "vachesaru =-1.5", "parledu =-1.0",
    ]),
    "handled": (-2.0, ["vacharu|vachesaru", "maatladutunna|matladutunna"]),
    "planned": (-3.0, ["vachche|vache|vachhe _2 vaaram|nela|week", "planned|scheduled|training",
                       "confirm kaaledu"]),
    "later": (-0.8, ["repu", "vachche|vache vaaram"]),
    "howto": (-1.8, ["ela _3 cheyali|marchali|add|pettali|cheyyali", "kavali|kaavali =-0.8",
                     "cheyagalara|cheyandi please =-0.6"]),
    "minor": (-1.0, ["urgent emi|em ledu", "time unnappudu", "nemmadiga",
                     "family photo|wallpaper =-1.0"]),
    "single": (-0.4, ["naa _2 laptop|pc|computer|account|phone|password"]),
    "ongoing": (0.0, ["inka", "malli", "ippatiki", "emaina update"]),
    "thanks": (1.0, ["thanks|thank|dhanyavaadalu|dhanyavadalu"]),
    "praise": (2.0, ["chala _2 baagundi|bagundi|thanks", "baagundi|bagundi|superb =1.5",
                     "super|superb _2 fast|ga", "twaraga chesaru", "fast ga"]),
    "relief": (1.5, ["haayiga", "okay _2 unnaru"]),
    "complaint": (-1.8, [
        "malli malli", "eppudu ide|idhe|ilaane", "moodo|mudo|naalugo|rendo saari",
        "enni saarlu", "reply _2 ledu|raaledu", "pattinchukovatledu",
        "roju _2 ide|idhe", "inka _2 evaru|evvaru _2 raaledu|raledu|ledu",
        "# _2 nimishalu|nimishallu|min|minutes|gantalu|gantala _2 ayyindi|aindi",
        "manager|boss _3 adugutunnaru|aduguthunnaru", "wait _2 chestunna|chestunnam",
        "prathi saari", "correct kaadu", "chala pressure",
    ]),
    "frustration": (-2.2, ["kopam|chiraku|visugu|baadha|irritating|irritate|gola|kashtam|"
                                      "noppi|avamanam =-1.6", "unfair"]),
    "worry": (-2.0, ["bhayam|bhayanga|bhayapadutunnaru|bhayapadutunna|kangaru|aandolana|"
                     "tension|pressure"]),
    "irony": (0.0, []),
    "agent": (0.0, []),
}
TE_NEGATORS = ("ledu", "ledhu", "kaadu", "vaddu", "no", "not")
TE_TRAPS = ("training", "test|testing", "drill", "demo")
