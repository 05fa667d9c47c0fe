# warroom, koncept postmortemu: slovenčina. Názvy príkazov v spätných apostrofoch
# zostávajú nezmenené.

## Nadpisy
heading-timeline = Časová os
heading-action-items = Nápravné opatrenia
heading-lessons = Poučenia
heading-metadata = Incident

## Sekcie: nadpis a výzva, kým ju nikto nevyplnil
section-summary = Zhrnutie
section-impact = Dopad
section-root-cause = Základné príčiny
section-trigger = Spúšťač
section-resolution = Riešenie
section-detection = Zistenie
section-went-well = Čo sa podarilo
section-went-wrong = Čo sa nepodarilo
section-lucky = Kde sme mali šťastie
section-contributing-factor = Prispievajúce faktory
section-customer-communication = Komunikácia so zákazníkmi
section-supporting-info = Podporné informácie
section-related = Súvisiace incidenty
prompt-summary = Čo sa stalo, v dvoch či troch vetách? (`postmortem summary ...`)
prompt-impact = Koho alebo čo to zasiahlo, ako vážne a ako dlho? (`postmortem impact ...`)
prompt-root-cause = Prečo sa to stalo? Každú príčinu pridajte cez `postmortem root-cause ...`
prompt-trigger = Čo to spustilo? (`postmortem trigger ...`)
prompt-resolution = Čo to opravilo alebo zmiernilo? (`postmortem resolution ...`)
prompt-detection = Ako sme sa o tom dozvedeli? (`postmortem detection ...`)
prompt-went-well = Pridajte cez `postmortem went-well ...`
prompt-went-wrong = Pridajte cez `postmortem went-wrong ...`
prompt-lucky = Pridajte cez `postmortem lucky ...`
prompt-contributing-factor = Čo to zhoršilo alebo spravilo pravdepodobnejším? (`postmortem contributing-factor ...`)
prompt-customer-communication = Čo sme povedali zákazníkom a kedy? (`postmortem customer-communication ...`)
prompt-custom = Doplňte cez `postmortem { $key } ...`.
prompt-supporting-info = Dashboardy, grafy, tikety, logy (`postmortem link URL [názov]`)
prompt-related = Predchádzajúce alebo prepojené incidenty (`postmortem related INC-N`)

## Popisy a hodnoty
label-severity = Závažnosť
label-status = Stav
label-affected-services = Zasiahnuté služby
label-alerts = Upozornenia
label-impact-windows = Obdobia dopadu
label-impact-window = Obdobie dopadu
label-total-impact = Celkový dopad
label-authors = Autori
label-reviewers = Recenzenti
label-review-status = Stav recenzie
label-generated = Vygenerované
not-assigned = nepridelené
not-assigned-hint = nepridelené (`incident lead @user`)
affects-none = nič nezaznamenané (`incident affects ...`)
impact-windows-none = nič nezaznamenané (`incident impact START..END [note]`)
role-commander = Veliteľ incidentu
role-scribe = Zapisovateľ
role-comms = Komunikácia
milestone-started = Začiatok
milestone-detected = Zistené
milestone-acknowledged = Prevzaté
milestone-mitigated = Zmiernené
milestone-resolved = Vyriešené
milestone-closed = Uzavreté
metric-time_to_detect = Čas do zistenia
metric-time_to_acknowledge = Čas do prevzatia
metric-time_to_mitigate = Čas do zmiernenia
metric-time_to_resolve = Čas do vyriešenia
severity-sev1 = SEV1 (kritická)
severity-sev2 = SEV2 (vysoká)
severity-sev3 = SEV3 (stredná)
severity-sev4 = SEV4 (nízka)
status-investigating = vyšetruje sa
status-identified = príčina zistená
status-monitoring = sleduje sa
status-resolved = vyriešený
status-closed = uzavretý
review-draft = koncept
review-in-review = v recenzii
review-final = finálny

## Časová os
timeline-empty = Zatiaľ žiadne záznamy (`timeline [WHEN] <text>`)
times-in = Časy v pásme { $zone }.
col-time = Čas ({ $zone })
col-who = Kto
col-what = Čo

## Nápravné opatrenia
actions-empty = Zatiaľ žiadne nápravné opatrenia (`action <text> [@owner]`)
actions-empty-html = Zatiaľ žiadne nápravné opatrenia.
col-action = Opatrenie
col-status = Stav
col-owners = Zodpovední
col-due = Termín
col-type = Druh
col-ticket = Tiket
action-open = otvorené
action-done = hotové

## Poznámky za textom používateľov
edited-by = upravil(a) { $who } { $at }
time-corrected = čas opravený z { $from }, opravil(a) { $who } { $at }
replaced-by = nahradil(a) { $who } { $at }
needs = chýba { $what }
list-and = { $a } a { $b }
from-fallback = od { $fallback }; začiatok dopadu nastavte cez `incident milestone { $from } WHEN`

## Sekcia Zistenie, napísaná zo záznamu
detection-by-hand = Ručne vyhlásil(a) { $who } { $at }.
detection-detected-by-hand = Zistené { $detected }; ručne vyhlásil(a) { $who } { $at }.
detection-alert = Zistené upozornením v { $room } { $at } (pravidlo `{ $rule }`, poslal(a) { $sender }): „{ $text }“
detection-detected-alert = Zistené { $detected }, upozornením v { $room } (pravidlo `{ $rule }`, poslal(a) { $sender }, prijaté { $at }): „{ $text }“
detection-alert-count = { $text } — spolu { $count } upozornení.

## Päta
footer = Koncept vygeneroval warroom { $at }. Čas do zistenia = začiatok → zistenie; do prevzatia = zistenie → prevzatie; do zmiernenia a do vyriešenia = začiatok → zmiernenie / vyriešenie.
footer-html = Koncept vygeneroval warroom { $at }.
footer-approximate = Znak `~` označuje čas alebo trvanie známe len približne.
footer-approximate-html = Znak ~ označuje čas alebo trvanie známe len približne.
template-fallback = Šablóna postmortemu `{ $name }` zlyhala ({ $error }); koncept bol vytvorený so vstavanou šablónou `warroom`.

## Nadpisy vstavaných šablón podľa verejných šablón
heading-incident-summary = Zhrnutie incidentu
heading-overview = Prehľad
heading-what-happened = Čo sa stalo
heading-leadup = Predohra
heading-fault = Porucha
heading-response = Reakcia
heading-recovery = Obnova
heading-five-whys = Päť prečo
heading-responders = Riešitelia
heading-how-did-we-do = Ako sme si počínali?
heading-messaging = Komunikácia
heading-corrective-actions = Nápravné kroky
label-date = Dátum
label-owner = Zodpovedný za postmortem
label-duration = Trvanie

## Trvanie
duration-s = { $s } s
duration-m = { $m } min
duration-hm = { $h } h { $mm } min
duration-dhm = { $d } d { $h } h { $mm } min

## Automatické záznamy v časovej osi
entry-declared = { $id } vyhlásený: { $title }, { $severity }
entry-declared-storm = { $id } vyhlásený: { $title }, { $severity } — { $subject } otvoril { $limit } incidentov za minútu; ďalšie upozornenia, ktoré by otvorili incident, sa pridajú k tomuto
entry-alert-received = prijaté upozornenie (pravidlo { $rule }): { $text }
entry-alert-repeated = opakované upozornenie (×{ $count }): { $text }
entry-alert-again = upozornenie znova aktívne (×{ $count }): { $text }
entry-alert-firing = aktívne upozornenie (×{ $count }): { $text }
entry-alerts-not-listed = viac ako { $max } upozornení: ďalšie sa počítajú (pozri počet upozornení), neuvádzajú sa
entry-alert-resolved = upozornenie vyriešené: { $text } (ešte aktívnych: { $still })
entry-alert-resolved-all = upozornenie vyriešené: { $text } (vyriešené všetky: { $count })
entry-severity = závažnosť { $from } → { $to }
entry-status = stav: { $from } → { $to }
entry-status-note = stav: { $from } → { $to }: { $note }
entry-role = { $who } je teraz { $role }
entry-role-was = { $who } je teraz { $role } (predtým { $previous })
entry-milestone = míľnik: { $milestone }
entry-milestone-corrected = míľnik: { $milestone } (opravené; predtým { $was })
entry-affects = zasiahnuté služby: { $services }
entry-closed = { $id } uzavretý
entry-reopened = { $id } znovu otvorený (bol { $status })

## Čo bot píše do miestností incidentu
announce-head = 🚨 { $id }: { $title } — { $severity }, { $status }
announce-from-alert = Otvorené z upozornenia v { $room } od { $sender } o { $at }: „{ $text }“
announce-declared = Vyhlásil { $who } o { $at }.
announce-storm = Búrka upozornení: { $subject } otvoril za minútu viac incidentov, než je povolené; upozornenia, ktoré by otvorili nový incident, sa pridajú k tomuto, kým je otvorený.
announce-record = Zaznamenávajte, čo sa deje: { $p }timeline [WHEN] <text> · { $p }incident lead @vy · { $p }incident status identified|monitoring · { $p }incident resolve · { $p }action <text> @vlastník · { $p }postmortem <sekcia> <text> · { $p }incident close · { $p }incident help
alert-news-resolved = ✅ vyriešené: { $line }
alert-updates = ⚠ Aktualizácie upozornení ({ $count }):
alert-updates-more = … a ďalšie ({ $count }) (časová os ich obsahuje)
invite-failed = ⚠ nepodarilo sa pozvať: { $who }. Pozvite ich ručne alebo opravte { $setting }.
declared-opening = 🚨 { $id } vyhlásený: { $title } — otvára sa #{ $channel }
opened-elsewhere = 🚨 { $id } otvorený v { $platforms }: { $title }
stranded-matrix = ⚠ Domovský server odmietol vytvoriť miestnosť pre { $id } ({ $why }). warroom to skúša znova (aspoň každých 5 minút); nič zaznamenané sa nestratí. Ak to pretrváva, overte, že účet bota smie na svojom serveri vytvárať miestnosti a aliasy.
stranded-slack = ⚠ Slack odmietol otvoriť kanál pre { $id } ({ $why }). warroom to skúša znova (aspoň každých 5 minút); nič zaznamenané sa nestratí. Ak to pretrváva, overte oprávnenia aplikácie a nastavenia kanálov v pracovnom priestore.
propose-resolve = ✅ Všetky upozornenia incidentu { $id } ({ $count }) sú vyriešené. Ak je incident za nami, spustite `{ $p }incident resolve`.
closed-with-draft = { $id } uzavretý. Tu je koncept postmortemu:
entry-update = aktualizácia stavu: { $text }
update-post = 📣 Aktualizácia { $id } — { $severity }, { $status }, vedie { $lead }, trvá { $elapsed }
update-no-lead = zatiaľ nikto
remind-lead = ⏰ { $id } zatiaľ nikto nevedie ({ $waited } od vyhlásenia). Prevezmite ho cez `incident lead @vy`.
remind-update = ⏰ K { $id } nebola aktualizácia { $waited }. Pridajte ju cez `incident update <text>` (alebo pozastavte pripomienky: `incident snooze 30m`).
remind-postmortem = ⏰ { $id } bol uzavretý pred { $waited } a jeho postmortem je stále prázdny. { $lead }: začnite cez `postmortem summary <text>`.
remind-action = ⏰ Akcia č. { $n } incidentu { $id } má termín { $due }: { $text } (vlastníci: { $owners }). Označte ju cez `action done { $n }`.
