"""English cues (notation: ``processors.tickets.cues``). Written from what operations people
act on within the hour (safety, active security incidents, many people blocked, deadlines
within hours) and from what only looks like it (smoke tests, phishing training, a low smoke
detector battery, "download", "fire up", "kill the cron job", "critical path")."""

from __future__ import annotations

_DEVICE = ("server|servers|rack|racks|cabinet|cabinets|comms|ups|switch|switches|electrical|"
           "panel|equipment|network|patch|router|firewall|storage|pdu|hardware")
_ROOM = "server|data|comms|network|equipment|electrical|ups|it"
_GROUP = ("floor|floors|site|sites|office|offices|building|branch|branches|store|stores|"
          "warehouse|team|teams|department|dept|company|plant|factory|call|hospital|ward|wards|"
          "unit|campus|school|faculty|staff|users|employees|agents|desks|terminals|lines|"
          "machines|tills|registers|pcs|laptops|scanners|people|organisation|organization|"
          "region|shift|org|division|region|location|locations|clinic|lab|labs|shop|shops|"
          "depot|hub|accounts|finance|sales|engineering|payroll|hr|support|kitchen|pharmacy")
_WHO = ("users|people|staff|employees|agents|colleagues|folks|persons|desks|stores|sites|"
        "shops|terminals|machines|tills|trucks|lorries|patients|students|customers|clients|"
        "accounts|mailboxes|devices|laptops|pcs|scanners|registers|branches|drivers|"
        "nurses|doctors|teachers|workers|operators|guests|pickers|packers|cashiers|"
        "engineers|developers|traders|passengers|visitors|members|reps|technicians")
_SYSTEM = ("vpn|network|server|servers|site|system|systems|portal|app|application|website|"
           "internet|email|e-mail|mail|phones|phone|wifi|wi-fi|lan|erp|sap|crm|database|db|"
           "tills|pos|intranet|sharepoint|teams|outlook|exchange|citrix|vdi|sso|login|"
           "payments|checkout|emr|ehr|wms|scanner|scanners|telephony|line|lines|link|uplink")

FAMILIES: dict[str, tuple[float, list[str]]] = {
    # -- urgency: what makes someone act within the hour ----------------------------------
    "safety": (3.2, [
        "smell|smells|smelling|smelt|odour|odor|whiff|stink|stinks ?of|like gas",
        "gas smell|smells|leak|leaking|leaks|escaping|alarm",
        "smell|smells|smelling|odour|odor ?of|like burning|burnt|smoke|melting",
        "burning ?plastic|rubber|electrical|cable smell|odour|odor|smells",
        "burnt smell|odour|odor",
        "smoke coming|rising|pouring|from|in|everywhere|billowing",
        "full of smoke", "see|seeing|saw|there's|there|is smoke",
        "smoking", "sparks|sparking|arcing", "flames|flame",
        "on fire", "caught|catch|catches|catching fire", "a|small|electrical fire",
        "fire in|on ?the", "fire alarm|alarms going|went|is|are off|sounding|ringing",
        "fire alarm|panel|system _4 fault|faults|trouble|error|beeping|beeps|alarm",
        "fire brigade|department|service _3 called|on|here|arrived",
        "trapped", "stuck in ?the|a lift|elevator",
        "lift|elevator|elevators|lifts _8 people|someone|somebody|persons|colleagues _2 inside",
        "lift|elevator _6 stuck|stopped _3 inside|people|someone",
        "injured|injury|bleeding|unconscious|collapsed|fainted",
        "electric|electrical shock", "got a shock", "ambulance",
        "carbon monoxide", "co alarm", "chemical spill|leak",
        "evacuating|evacuated|evacuation|evacuate",
        "explosion|exploded|explode",
        "ammonia|chlorine|bleach _6 smell|leak|sensor|alarm|mixed|fumes",
        "fumes", "coughing|dizzy|vomiting|can't breathe",
        "stuck|stopped between _3 floor|floors|levels",
        "lift|elevator _10 with _3 guests|people|someone|passengers _2 in|inside",
        "someone|somebody|a lady|a man|guests|people inside _4 lift|elevator",
    ]),
    "facility": (2.8, [
        f"water|leak|leaking|dripping|drips|drip|puddle|flooding|flooded _10 {_DEVICE}",
        f"{_DEVICE} _6 water|wet|leak|leaking|dripping|flooded|flooding",
        f"{_ROOM} room|hall|closet|centre|center|cupboard _8 hot|warm|overheating|overheat|"
        "heat|temperature|degrees|cooling",
        f"air|aircon|ac|crac|cooling|hvac|conditioning _8 {_ROOM} room|hall|centre|center",
        f"{_ROOM} room|hall _8 air|aircon|ac|crac|cooling|hvac|conditioning",
        "ups|battery|batteries _6 beeping|alarm|alarming|smoking|swollen|overheating|hot",
        "ups|ups's _4 on battery|bypass|overload|overloaded",
        "generator|generators _4 failed|failure|didn't|won't|not|tripped|down",
        "minutes|mins _2 of runtime|battery|power _2 left|remaining",
        "runtime|battery _3 left|remaining =1.4",
        "door _8 propped|wedged|open|unlocked|forced",
        "tailgating|tailgated",
        "water _6 ceiling|roof _8 socket|sockets|power|strip|extension|plugs|switch|rack",
        "cold room|freezer|fridge|fridges|chiller|refrigeration _8 # degrees|c|warm|warming",
        "fire alarm|alarm panel _6 fault|beeping|trouble",
        "unknown|unauthorised|unauthorized|strange person|man|woman|"
        f"people _6 {_ROOM}",
    ]),
    "security": (3.2, [
        "ransomware|ransom", "bitcoin|crypto _4 pay|restore|decrypt|files",
        "files|documents|folders|everything _4 encrypted|locked|renamed",
        "encrypted|locked _3 files|documents|folders",
        "weird|strange|odd|unknown file names|extensions|extension",
        "someone|somebody|somebody's|someone's _4 control*|moving|using|connected|accessing"
        " _4 my|our|the pc|laptop|computer|mouse|screen|machine|desktop",
        "mouse|cursor _4 moving|moves|moved _4 itself|own",
        "anydesk|teamviewer|screenconnect|rustdesk =1.2",
        "didn't|not|never|nobody _3 start|started|open|opened|request|requested|initiate|"
        "install|installed =1.0",
        "mfa|2fa|push|prompt|prompts|approval|authenticator _8 didn't|never|not _2 "
        "start|request|requested|initiate|trigger",
        "hacked|compromised|breached =2.6", "data breach|leak|leaked|exfiltration",
        "unauthorised|unauthorized access|login|logins|sign-ins|transfer|transaction|payment",
        "suspicious|unusual|unfamiliar|unknown|foreign _4 sign-ins|sign|signins|logins|login|"
        "activity|transfers|transactions|sessions =1.6",
        "successful _3 sign-ins|sign|signins|logins =1.6",
        "password spray|spraying", "brute-force", "credential stuffing",
        "typed|entered|put|gave|submitted|filled|input _4 username|password|passwords|"
        "credentials|login|pin|details =1.7",
        "clicked|opened _6 link|attachment|invoice =1.5",
        "phishing|phish|fake|spoofed|spoof|fraudulent|lookalike _4 page|site|link|email|mail|"
        "login|website|invoice|domain =1.6",
        "phishing =0.6",
        "wire transfer|payment _6 urgent|approve|approval|ceo|cfo =0.8",
        "malware|virus|trojan|keylogger|infected|infection =1.6",
        "ddos", "denial of service", "stolen laptop|device|phone|credentials|password|passwords",
        "gave|told|shared|read|sent _4 code|codes|mfa|otp|pin|password =1.6",
        "pretending|claiming|pretended|claimed _3 to be|from =1.2",
        "laptop|device|phone _4 stolen =2.0",
        "snatched|mugged|robbed", "lockbit|locky|ryuk|conti|.locked|.encrypted",
        "readme|restore|decrypt|how_to _3 txt|note|file =2.0",
        "token|key|keys|secret|secrets|credentials|password _8 public|pushed|committed|exposed|"
        "leaked|github",
        "access|api|aws|personal access token|key _6 created|public|pushed",
        "sending|sent _4 emails|mails _4 i|we _2 didn't|haven't|never|not",
        "emails|mails _4 i|we _2 didn't|never|haven't _2 write|written|send|sent",
        "hundreds|thousands of _2 bounces|emails|undeliverable",
        "didn't|not|never _3 request|requesting|asked =1.0",
        "someone|somebody|stranger|guy|man|person _10 rack|racks|server|plugged|cabinet",
        "not me|wasn't me =1.5",
    ]),
    "scope": (1.4, [
        f"whole|entire|all|every _2 {_GROUP}",
        f"{_GROUP} wide",
        "company-wide|site-wide|org-wide|campus-wide|building-wide",
        "across the|all _2 company|sites|stores|branches|locations|offices|floors",
        "everyone|everybody", "all of us", "all users|staff|employees", "none of us",
        "nobody|noone _4 can|could|able|can't|cannot|gets|works",
        "no one _4 can|could|able|can't|cannot|gets|works", "nobody|noone _2 is working",
        f"## _2 {_WHO}",
        f"many|several|multiple|lots|lot|half|most|dozens|hundreds _2 {_WHO}",
        "every single _3 desk|user|pc|terminal|till|machine =1.0",
        "queue|line|queues|crowd _3 of _2 customers|clients|guests|people|members|passengers",
        "customers|clients|guests|people|patients _3 queueing|queuing|waiting|outside",
        "all|both _2 stations|counters|atms|tills|lines|terminals|screens|runners|builds|jobs",
        "all of _2 us|them|the _2 stations|counters|atms|tills|terminals|screens",
        "nobody's|nobody _3 builds|orders|payments|jobs",
    ]),
    "outage": (0.9, [
        "is|are|was|were|went|gone|goes|been|still|completely|totally|all down",
        "outage", "offline", "unreachable", "unavailable", "not responding",
        "crashed|crashing|crashes", "failing|fails|failed|failure =0.6",
        "dropped|disconnected|disconnecting|dropping", "stuck|hung|frozen|freezing =0.6",
        "502|503|504", "bad gateway", "gateway timeout", "black|blank screen =0.6",
        "stopped working|responding", "stopped =0.5", "tripped", "jammed|jam =0.5",
        "broken|broke =0.6", "not|isn't|aren't|wasn't|doesn't|don't|can't|cannot|unable|"
        "couldn't|won't _2 work|working|connect|connecting|load|loading|open|opening|log|"
        "login|sign|access|accessing|print|printing|save|saving|send|sending|receive|start|"
        "boot|booting|respond|reach|dial|call|calls|trade|invoice|post|posting|process",
        "no|lost|without|losing ?any network|internet|connection|connectivity|power|signal|"
        "wifi|wi-fi|lan|phones|phone|line|lines|dial|access|service|link|calls",
        "still|is|are|went|gone dead",
        "rejected|rejecting|error|errors =0.3", "blocked =0.5",
        "nobody|noone _4 can|could|able|gets", "no one _4 can|could|able|gets",
        f"{_SYSTEM} down|offline|outage",
    ]),
    "deadline": (1.4, [
        "by|before|until|till|til # ?am|pm|h|hrs|o'clock|ist|cet|gmt|utc|est|pst",
        "by|before|until|till noon|midday|eod|cob|lunchtime",
        "due|cut-off|cutoff|deadline|closes|close|submission _4 #|today|noon|tonight|eod",
        "today is ?the cut-off|cutoff|deadline|last|due|closing",
        "cut-off|cutoff|deadline _2 is today",
        "deadline|cut-off|cutoff|due _3 today|tonight|afternoon|morning|noon",
        "in|within # min|mins|minutes|hour|hours|hrs|h",
        "in|within an|the|next hour", "in half an hour", "market|markets is|are open",
        "meeting|demo|presentation|presenting|call|interview|session|audit|launch|go-live|"
        "flight|exam|surgery|wave|shift|board _3 at # ?am|pm|today|tonight",
        "has|have|needs|need|must|got _4 at|by|before # ?am|pm",
        r"@need,needs,must,due (?:need|needs|must|due)\W+(?:[\w']+\W+){0,6}?\d{1,2}[:.]\d{2}\b",
        "has|have|need|needs|must _4 go|reach|leave|sent|filed|submitted|out _3 today",
    ]),
    "impact": (0.9, [
        "customers|clients|patients|callers|guests _4 can't|cannot|unable|waiting|affected|"
        "stuck|calling|hear|complaining|queue|queueing",
        "losing|lose|lost _2 money|sales|revenue|orders|work|data|bookings",
        "can't|cannot|unable _3 trade|invoice|bill|ship|dispatch|sell|operate|treat|admit|"
        "pay|process|payments|orders|bookings",
        "trucks|lorries|orders|shipments|deliveries|parcels _4 waiting|stuck|held|piling",
        "production|line|assembly _3 stopped|down|halted|standing",
        "stop|stopped|stopping the line|production", "line|lines _2 stopped|stop|stand",
        "can't|cannot|unable _4 check-in|checkin|check-out|checkout|scan|book|dispense|pay",
        "atms|atm _4 offline|down|out of service|not|unable", "out of service",
        "scrap|scrapped|rejecting|rejects _3 all|every|everything",
        "bookings|orders _4 zero|0|wrong price|keep coming",
        "salaries|salary|wages|payroll _8 not|late|missed|credited|failed|stuck",
        "flying blind", "business-critical", "revenue impact",
        "stop|stopped|stopping _2 taking _2 orders|calls|payments|bookings",
        "patient|patients|icu|vitals|medication|medications|doses|theatre|surgery|ward|wards|"
        "clinical|pharmacy|infusion _6 offline|down|can't|cannot|won't|unavailable|failed|"
        "failing|dead|frozen|unreachable|stuck =1.4",
        "nurses|doctors|clinicians|pharmacists|surgeons _4 can't|cannot|unable|waiting =1.2",
        "had to stop|halt _3 orders|trading|work|production|sales",
        "obliged|required|regulatory|compliance _4 record|report|log =0.6",
    ]),
    "pressure": (0.3, [
        "urgent|urgently|asap|immediately|emergency|critical", "high priority", "right now",
    ]),
    # what a desk does only during an incident: its words say the thread is urgent
    "response": (2.4, [
        "do not|don't approach|touch|restart|reboot|re-enter|acknowledge|silence",
        "stay|keep _3 out|away|clear", "get|getting everyone|everybody|people _2 out =3.2",
        "call|calling|called 999|911|112|police|ambulance",
        "fire brigade|department|service", "calling|called|alerted _3 police|security|on-call",
        "remote wipe|wiped|lock", "revoked|revoking|revoke _4 token|tokens|sessions|access|key",
        "disabled|disabling|suspended|blocked|blocking _3 badge|account|sending|source|ips|"
        "key|port|user",
        "rotating|rotated|rotate _3 key|keys|credentials|secret|secrets",
        "turn|switch off _2 wifi|wi-fi|router|power|breaker",
        "unplug|disconnect _3 router|network|cable|laptop|wifi",
        "escalated|escalating _3 security|emergency|incident",
        "engineer|technician|team|they|van|supplier _4 eta|arrive|arriving # min|mins|minutes",
        "eta # min|mins|minutes", "incident _2 opened|declared|bridge",
        "isolate|isolating _3 chargers|power|supply|circuit",
    ]),
    # -- urgency: what says it can wait --------------------------------------------------------
    "resolved": (-3.0, [
        "fixed|resolved|solved|sorted|repaired",
        "working|works|worked again|now|fine|normally|perfectly|ok|okay",
        "running again|fine|normally|smoothly",
        "everything|it's|all|now working|works",
        "is|are|all|everything|everyone|we're|it's|power's|that's|everything's _2 back",
        "back up|online|again|in", "back to normal", "back in service|business",
        "restored|recovered|reopened", "up and running", "up again", "flowing again",
        "reconnecting|reconnected =-2.0", "all clear", "false alarm",
        "no fire|smoke|flames|leak|damage|water|injuries|suspicious|impact _3 found|detected|"
        "anymore",
        "there is|was no fire|smoke|damage|danger", "there's no fire|smoke|damage|danger",
        "contained|mitigated|neutralised|neutralized", "isolated|quarantined =-2.0",
        "nothing is|was broken|wrong",
        "everyone|everybody|both|all _3 safe|okay|ok|out|fine",
        "replaced|cleared|purged|removed|deleted =-1.5", "done =-1.0",
        "no other|further _3 affected|impact|machines|accounts|devices|activity|sign-ins",
        "confirms|confirmed|confirm no", "gb|tb|space free|freed", "freed up",
        "closed|shut|locked the door =-2.0",
        r"@again (?:work|load|print|sync|connect|flow|runn|send|receiv|sav|respond|"
        r"open|ring|ship|process|post|scann|charg|boot|log)\w*ing\W+again(?![\w])",
        "cert|certificate|license|licence|key|subscription _2 renewed =-1.5",
        "shut|turned|switched off _3 leak|leaking|pipe|water|gas|valve|supply|power =-2.0",
        "before any damage", "no damage",
        "no new _3 sign-ins|signins|logins|activity|alerts|alarms",
        "shipped|submitted|filed|delivered|posted|dispatched _3 at|on|in|with|before|all =-2.0",
        "made it _2 time|deadline|cut-off", "went|got out _2 time|before",
        "we|they|i can _2 work|trade|print|log|save|connect|access|send|post|invoice now|again",
        "confirmed|confirm|confirms _3 working|works|fixed|processing",
        "no longer _2 needed|issue|problem",
    ]),
    "handled": (-2.0, [
        "is|are|he's|she's|they're here", "has|have arrived", "arrived",
        "came over|by|round|and",
        "on site now", "onsite now", "is|are with us|me",
                "got|had a|the call", "called me", "picked ?it up",
    ]),
    "planned": (-3.0, [
        "planned|scheduled|upcoming", "maintenance|change window",
        "next week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|year|"
        "quarter",
        "heads-up", "for your|the desk's|desk ?awareness", "for your information",
        "reminder", "just so you know", "advance notice",
        "no action needed|required|necessary",
        "nothing will _2 encrypted|down|happen",
        "exercise|tabletop|drill|simulation|simulated|rehearsal|training",
        "will be _3 upgraded|down|offline|unavailable|migrated|replaced|patched|restarted|"
        "rebooted|moved|shifted",
        "fyi =-0.8",
    ]),
    "later": (-0.8, [
        "tomorrow|tmrw", "next week|month", "later today|tonight", "later this week",
        "monday|tuesday|wednesday|thursday|friday|saturday|sunday", "in the coming days",
    ]),
    "howto": (-1.8, [
        "how do|can|should|would i|we|you", "how to", "is it possible", "possible to",
        "can|could|may i|we _3 have|get|change|add|set|use",
        "where do|can|should i", "is there a way", "what's the best way",
        "feature request", "would love|like",
        "request|requesting|need|needs|require _3 access|license|licence|account|monitor",
    ]),
    "minor": (-1.0, [
        "no rush|hurry", "not urgent", "not a big deal", "no big deal", "nothing serious",
        "when|whenever you _2 have|get _2 moment|time|chance|minute",
        "when|whenever free|possible", "low priority", "cosmetic", "nice to have",
        "just flagging", "not blocking", "no biggie", "minor|small|little thing|issue|one",
        "wallpaper|background|font|signature|logo|colour|color|theme|icon =-1.5", "dark mode =-1.5",
    ]),
    "single": (-0.4, [
        "my laptop|pc|computer|account|phone|mailbox|monitor|screen|keyboard|mouse|headset|"
        "password|printer|desk",
        "just|only me|mine", "is it just me", "nobody|noone else =-1.0", "no one else =-1.0",
        "personal|personally =-0.8",
    ]),
    # -- the thread: the problem is still there -------------------------------------------
    "ongoing": (0.0, [
        "still", "again", "any update|news|progress", "no change", "same issue|problem|error",
        "not yet", "keeps|kept", "nothing yet", "still nothing", "continues|continuing",
        "worse",
    ]),
    # -- sentiment --------------------------------------------------------------------------
    "thanks": (1.0, [
        "thanks|thank|thx|ty|cheers|ta", "appreciate|appreciated|grateful|thankful",
    ]),
    "praise": (2.0, [
        "great|excellent|amazing|awesome|fantastic|brilliant|superb|wonderful|lovely|super|"
        "impressive|stellar|fast|quick _2 job|work|service|support|help|team|turnaround",
        "works|worked|working perfectly|great|beautifully", "like a charm",
        "much better", "well done", "saved me|us|you", "saved the|my day",
        "lifesaver|legend|hero|star",
        "so quickly|quick|fast|patient|helpful", "super fast|quick", "keep it up",
        "looks great|good|perfect|better", "makes sense =0.8", "perfect|perfectly =1.0",
        "lovely|wonderful|brilliant|excellent|amazing|awesome =1.2",
        "really appreciate", "great =0.8", "love|loved =1.0", "happy|glad|pleased =1.0",
    ]),
    "relief": (1.5, [
        "phew", "relieved|relief", "back to normal =0.8", "all good|sorted|set",
        "cautiously optimistic", "optimistic", "so far so good", "finally =0.6",
    ]),
    "complaint": (-1.8, [
        "second|third|fourth|fifth|sixth|another time|times _3 i'm|am|we're|writing|"
        "asking|reporting|raising|opening|week|month|today",
        "2nd|3rd|4th|5th|6th time", "again and again", "every single time|day",
        "how many times", "still waiting", "waiting _2 for|since _2 days|weeks|hours",
        "for days|weeks", "no response|reply|answer|feedback",
        "nobody|noone _3 answered|replied|responded|back|looked|cares",
        "no one _3 answered|replied|responded|back|looked|cares",
        "how long _3 take|going|will|until|more", "auto-closed", "closed without",
        "keeps|keep happening", "happens every|again", "always happens", "every month|week",
        "we'll see", "we will see", "permanent|proper fix", "is anyone|anybody _3 looking|there",
        "any update =-0.6", "seriously =-1.0", "come on", "yet again",
        "twice|thrice already", "called|asked|chased _2 twice|three|again", "already twice",
        "#|one|two|three|four|five|six|several|many _2 hours|days|weeks|months|minutes now",
        "for|over a|an|# _2 hour|hours|day|days|week|weeks|month|months now",
        "sat|sitting|waited|waiting _3 # min|mins|minutes|hours|days",
        "pending|waiting|open _3 # ?days|weeks|months", "what exactly",
        "does|is anyone|anybody actually|even", "still hasn't|haven't|isn't|not|nothing|no",
        "missed _2 call|calls|meeting|meetings|deadline|flight", "honestly =-0.6",
        "manager|boss|director|ceo|client _4 asking|asked|chasing|breathing =-1.2",
        "clock's|clock is ticking",
        "would've|would have been nice", "only took", "in a row", "every morning|time",
        "can't|cannot work like this", "sort it out", "fix it", "whatever =-1.0",
        "lost _3 hours|morning|day|afternoon", "not good enough", "once again",
        "unprofessional|inadmissible|unhappy", "mid-day|midday without|before",
    ]),
    "frustration": (-2.2, [
        "annoying|annoyed|irritating|irritated|frustrating|frustrated|frustration|infuriating",
        "fed up", "sick|tired of", "drives|driving|drove _3 nuts|crazy|mad|insane",
        "furious|angry|livid|pissed|upset|disappointed|disappointing|unacceptable|ridiculous",
        "nightmare|disaster|fiasco|useless|pathetic|terrible|awful|horrible|worst|shambles",
        "can't believe", "what a mess|joke", "embarrassing|embarrassed|unfair|maze",
    ]),
    "worry": (-2.0, [
        "worried|worry|worrying|nervous|anxious|scared|afraid|frightened|panicking|panic|"
        "terrified|alarmed|concerned|uneasy|stressed|stressful|freaking|freak",
        "that's bad", "is that|this bad", "what do|should i|we do", "oh no", "flying blind",
        "under|much pressure",
        "mortified|shaken|gutted|ashamed|devastated", "messed|screwed up", "my fault",
        "made a mistake", "so|really|terribly|very sorry =-1.0", "not sure _3 enough",
        "don't know what _2 do", "chaos|chaotic|mayhem",
    ]),
    "irony": (0.0, [
        "love how|that", "love it when", "absolutely|just|really|gotta love",
        "oh great|good|joy|wonderful|perfect|brilliant", "just great|perfect|wonderful",
        "adds|added some excitement|fun", "what|how fun", "so much fun", "yay", "great|wonderful|"
        "fantastic|brilliant|perfect|lovely|awesome|marvellous|splendid", "thanks for nothing",
        "just what i needed",
    ]),
    "greeting": (0.0, [
        "hope you|you're|you've _3 lovely|great|good|nice|wonderful weekend|day|week|break",
        "have a|an _2 nice|great|good|lovely|wonderful day|weekend|evening|one",
        "thanks|thank you in advance", "many thanks in advance", "thanks in advance",
        "thanks|thank _1 for the|your update|reply|response|info|information|email|message|"
        "note",
    ]),
    "agent": (0.0, [
        "agent update", "service|help desk update|here", "helpdesk update|here",
        "we've|we're _2 reset|restarted|replaced|escalated|looking|"
        "investigating|engaged|applied|pushed|sent|created|logged|routed|dispatched|cleared|"
        "isolated|blocked|failing|enabling|tracking|resetting|restarting|shutting|checked",
        "we have|are _2 reset|restarted|replaced|escalated|looking|investigating|engaged|"
        "applied|pushed|sent|created|logged|routed|dispatched|cleared|isolated|blocked|"
        "failing|enabling|tracking|resetting|restarting|shutting|checked",
        "please retry|restart|reboot|confirm", "try again", "let us know", "reply if",
        "sorry for the wait|delay|inconvenience",
    ]),
}

NEGATORS = ("no", "not", "never", "without", "don't", "didn't", "isn't", "wasn't", "aren't",
            "doesn't", "haven't", "hasn't", "won't", "nor", "neither", "dont", "didnt", "isnt",
            "wasnt", "arent", "doesnt", "zero")

TRAPS = (
    "smoke test|tests|testing|tested", "test|testing|tests|tested", "drill|drills",
    "training|trainings", "simulation|simulated", "exercise", "tabletop", "rehearsal",
    "low battery", "battery _2 low", "chirp|chirping|chirps", "fire|fired|firing up",
    "fire off", "kill|killed the|a _2 job|process|task|cron", "critical path",
    "dead-letter", "sla breach|breached|breaches", "mock|mocked|sandbox|staging",
    "awareness", "phishing test|campaign|course|module", "demo|demonstration",
)
