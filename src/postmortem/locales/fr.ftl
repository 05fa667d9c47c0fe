# warroom, brouillon de postmortem : français. Les noms de commandes entre accents graves
# restent tels quels.

## Titres
heading-timeline = Chronologie
heading-action-items = Actions correctives
heading-lessons = Enseignements
heading-metadata = Incident

## Sections : titre et invite affichée tant que personne ne l'a remplie
section-summary = Résumé
section-impact = Impact
section-root-cause = Causes profondes
section-trigger = Déclencheur
section-resolution = Résolution
section-detection = Détection
section-went-well = Ce qui a bien fonctionné
section-went-wrong = Ce qui a mal fonctionné
section-lucky = Où nous avons eu de la chance
section-contributing-factor = Facteurs contributifs
section-customer-communication = Communication aux clients
section-supporting-info = Informations complémentaires
section-related = Incidents liés
prompt-summary = Que s'est-il passé, en deux ou trois phrases ? (`postmortem summary ...`)
prompt-impact = Qui ou quoi a été touché, à quel point, pendant combien de temps ? (`postmortem impact ...`)
prompt-root-cause = Pourquoi est-ce arrivé ? Ajoutez chaque cause avec `postmortem root-cause ...`
prompt-trigger = Qu'est-ce qui l'a déclenché ? (`postmortem trigger ...`)
prompt-resolution = Qu'est-ce qui l'a corrigé ou atténué ? (`postmortem resolution ...`)
prompt-detection = Comment l'avons-nous appris ? (`postmortem detection ...`)
prompt-went-well = À ajouter avec `postmortem went-well ...`
prompt-went-wrong = À ajouter avec `postmortem went-wrong ...`
prompt-lucky = À ajouter avec `postmortem lucky ...`
prompt-contributing-factor = Qu'est-ce qui l'a aggravé ou rendu plus probable ? (`postmortem contributing-factor ...`)
prompt-customer-communication = Qu'avons-nous dit aux clients, et quand ? (`postmortem customer-communication ...`)
prompt-custom = À ajouter avec `postmortem { $key } ...`.
prompt-supporting-info = Tableaux de bord, graphiques, tickets, journaux (`postmortem link URL [titre]`)
prompt-related = Incidents antérieurs ou liés (`postmortem related INC-N`)

## Étiquettes et valeurs
label-severity = Gravité
label-status = Statut
label-affected-services = Services touchés
label-alerts = Alertes
label-impact-windows = Périodes d'impact
label-impact-window = Période d'impact
label-total-impact = Impact total
label-authors = Auteurs
label-reviewers = Relecteurs
label-review-status = État de la relecture
label-generated = Généré
not-assigned = non attribué
not-assigned-hint = non attribué (`incident lead @user`)
affects-none = aucun enregistré (`incident affects ...`)
impact-windows-none = aucune enregistrée (`incident impact START..END [note]`)
role-commander = Responsable d'incident
role-scribe = Secrétaire
role-comms = Communication
milestone-started = Début
milestone-detected = Détection
milestone-acknowledged = Prise en charge
milestone-mitigated = Atténuation
milestone-resolved = Résolution
milestone-closed = Clôture
metric-time_to_detect = Délai de détection
metric-time_to_acknowledge = Délai de prise en charge
metric-time_to_mitigate = Délai d'atténuation
metric-time_to_resolve = Délai de résolution
severity-sev1 = SEV1 (critique)
severity-sev2 = SEV2 (majeur)
severity-sev3 = SEV3 (mineur)
severity-sev4 = SEV4 (faible)
status-investigating = en cours d'analyse
status-identified = cause identifiée
status-monitoring = sous surveillance
status-resolved = résolu
status-closed = clos
review-draft = brouillon
review-in-review = en relecture
review-final = définitif

## Chronologie
timeline-empty = Aucune entrée pour l'instant (`timeline [WHEN] <text>`)
times-in = Heures exprimées dans le fuseau { $zone }.
col-time = Heure ({ $zone })
col-who = Qui
col-what = Quoi

## Actions correctives
actions-empty = Aucune action de suivi pour l'instant (`action <text> [@owner]`)
actions-empty-html = Aucune action de suivi pour l'instant.
col-action = Action
col-status = État
col-owners = Responsables
col-due = Échéance
col-type = Type
col-ticket = Ticket
action-open = ouverte
action-done = terminée

## Notes après le texte des utilisateurs
edited-by = modifié par { $who } le { $at }
time-corrected = heure corrigée (avant : { $from }) par { $who } le { $at }
replaced-by = remplacé par { $who } le { $at }
needs = il manque { $what }
list-and = { $a } et { $b }
from-fallback = depuis { $fallback } ; indiquez `incident milestone { $from } WHEN` pour le début de l'impact

## La section Détection, écrite à partir du journal
detection-by-hand = Déclaré manuellement par { $who } le { $at }.
detection-detected-by-hand = Détecté le { $detected } ; déclaré manuellement par { $who } le { $at }.
detection-alert = Détecté par une alerte dans { $room } le { $at } (règle `{ $rule }`, publiée par { $sender }) : « { $text } »
detection-detected-alert = Détecté le { $detected }, par une alerte dans { $room } (règle `{ $rule }`, publiée par { $sender }, reçue le { $at }) : « { $text } »
detection-alert-count = { $text } — { $count } alertes au total.

## Pied de page
footer = Brouillon généré par warroom le { $at }. Délai de détection = début → détection ; de prise en charge = détection → prise en charge ; d'atténuation et de résolution = début → atténuation / résolution.
footer-html = Brouillon généré par warroom le { $at }.
footer-approximate = Un `~` signale une heure ou une durée connue approximativement.
footer-approximate-html = Un ~ signale une heure ou une durée connue approximativement.
template-fallback = Le modèle de postmortem `{ $name }` a échoué ({ $error }) ; le brouillon a été produit avec le modèle intégré `warroom`.

## Titres des modèles intégrés qui suivent des modèles publics
heading-incident-summary = Résumé de l'incident
heading-overview = Vue d'ensemble
heading-what-happened = Ce qui s'est passé
heading-leadup = Contexte
heading-fault = Défaillance
heading-response = Intervention
heading-recovery = Rétablissement
heading-five-whys = Cinq pourquoi
heading-responders = Intervenants
heading-how-did-we-do = Comment nous en sommes-nous sortis ?
heading-messaging = Communication
heading-corrective-actions = Mesures correctives
label-date = Date
label-owner = Responsable du postmortem
label-duration = Durée

## Durées
duration-s = { $s } s
duration-m = { $m } min
duration-hm = { $h } h { $mm } min
duration-dhm = { $d } j { $h } h { $mm } min

## Entrées automatiques de la chronologie
entry-declared = { $id } déclaré : { $title }, { $severity }
entry-declared-storm = { $id } déclaré : { $title }, { $severity } — { $subject } a ouvert { $limit } incidents en une minute ; les alertes suivantes qui en ouvriraient un rejoignent celui-ci
entry-alert-received = alerte reçue (règle { $rule }) : { $text }
entry-alert-repeated = alerte répétée (×{ $count }) : { $text }
entry-alert-again = alerte de nouveau active (×{ $count }) : { $text }
entry-alert-firing = alerte active (×{ $count }) : { $text }
entry-alerts-not-listed = plus de { $max } alertes : les suivantes sont comptées (voir le nombre d'alertes), pas listées
entry-alert-resolved = alerte résolue : { $text } (encore { $still } active(s))
entry-alert-resolved-all = alerte résolue : { $text } (les { $count } alertes sont résolues)
entry-severity = gravité { $from } → { $to }
entry-status = statut : { $from } → { $to }
entry-status-note = statut : { $from } → { $to } : { $note }
entry-role = { $who } est désormais { $role }
entry-role-was = { $who } est désormais { $role } (auparavant { $previous })
entry-milestone = jalon : { $milestone }
entry-milestone-corrected = jalon : { $milestone } (corrigé ; auparavant { $was })
entry-affects = services touchés : { $services }
entry-closed = { $id } clos
entry-reopened = { $id } rouvert (était { $status })

## Ce que le bot publie dans les salons de l'incident
announce-head = 🚨 { $id } : { $title } — { $severity }, { $status }
announce-from-alert = Ouvert à partir d'une alerte dans { $room }, publiée par { $sender } le { $at } : « { $text } »
announce-declared = Déclaré par { $who } le { $at }.
announce-storm = Tempête d'alertes : { $subject } a ouvert plus d'incidents en une minute que permis ; les alertes qui en ouvriraient un nouveau rejoignent celui-ci tant qu'il est ouvert.
announce-record = Consignez ce qui se passe : { $p }timeline [WHEN] <texte> · { $p }incident lead @vous · { $p }incident status identified|monitoring · { $p }incident resolve · { $p }action <texte> @responsable · { $p }postmortem <section> <texte> · { $p }incident close · { $p }incident help
alert-news-resolved = ✅ résolue : { $line }
alert-updates = ⚠ { $count } mises à jour d'alertes :
alert-updates-more = … et { $count } de plus (la chronologie les contient)
invite-failed = ⚠ invitation impossible : { $who }. Invitez ces personnes à la main, ou corrigez { $setting }.
declared-opening = 🚨 { $id } déclaré : { $title } — ouverture de #{ $channel }
opened-elsewhere = 🚨 { $id } ouvert dans { $platforms } : { $title }
stranded-matrix = ⚠ Le serveur Matrix a refusé de créer le salon de { $id } ({ $why }). warroom réessaie (au moins toutes les 5 minutes) ; rien de ce qui est consigné n'est perdu. Si cela persiste, vérifiez que le compte du bot peut créer des salons et des alias sur son serveur.
stranded-slack = ⚠ Slack a refusé d'ouvrir le canal de { $id } ({ $why }). warroom réessaie (au moins toutes les 5 minutes) ; rien de ce qui est consigné n'est perdu. Si cela persiste, vérifiez les autorisations de l'application et les réglages des canaux de l'espace de travail.
propose-resolve = ✅ Les { $count } alertes de { $id } sont résolues. Si l'incident est terminé, lancez `{ $p }incident resolve`.
closed-with-draft = { $id } clos. Voici le brouillon du postmortem :
entry-update = point de situation : { $text }
update-post = 📣 Point sur { $id } — { $severity }, { $status }, responsable { $lead }, depuis { $elapsed }
update-no-lead = aucun pour l'instant
remind-lead = ⏰ Personne ne pilote encore { $id } ({ $waited } depuis sa déclaration). Prenez-le avec `incident lead @vous`.
remind-update = ⏰ Aucun point sur { $id } depuis { $waited }. Publiez-en un avec `incident update <texte>` (ou mettez les rappels en pause : `incident snooze 30m`).
remind-postmortem = ⏰ { $id } a été clos il y a { $waited } et son postmortem est encore vide. { $lead } : commencez par `postmortem summary <texte>`.
remind-action = ⏰ L'action n° { $n } de { $id } arrive à échéance le { $due } : { $text } (responsables : { $owners }). Marquez-la avec `action done { $n }`.
