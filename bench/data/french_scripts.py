"""The scripts of Visio's French speech test set, written for Visio (same licence as the project).

Each meeting is a list of turns. A turn is a speaker id and its sentences; a sentence is the French
(or English) text as synthesised and its English translation. Inside a sentence, ``|`` marks a
breath pause at a comma: the two halves are synthesised separately, 0.5-0.7 s apart. A turn whose
speaker id starts with ``+`` overlaps the end of the previous turn by a fraction of a second.
"""

from __future__ import annotations

Sentence = tuple[str, str]
Turn = tuple[str, list[Sentence]]

# speaker id -> (display name, Kokoro voice, speed, pitch, language); see make_french.Kokoro.speak.
# Claire's first voice, jf_tebukuro, came out at 52 % whole-track WER on whisper-base (jm_kumo 7 %,
# jf_gongitsune 17 %): unintelligible data, so it was replaced, before any live measurement, by
# jf_gongitsune pitched up 12 % (a distinct voice from Sophie's). See the data README.
SPEAKERS: dict[str, tuple[str, str, float, float, str]] = {
    "marc": ("Marc Lefèvre", "jm_kumo", 1.0, 1.0, "fr"),
    "sophie": ("Sophie Garnier", "jf_gongitsune", 1.0, 1.0, "fr"),
    "claire": ("Claire Moreau", "jf_gongitsune", 1.0, 1.12, "fr"),
    "nadia": ("Nadia Benali", "jf_nezumi", 1.0, 1.0, "fr"),
    "james": ("James Whitaker", "jf_nezumi", 1.0, 1.0, "en"),
}

MEETINGS: dict[str, tuple[str, list[Turn]]] = {
    "point-hebdo": (
        "Point hebdomadaire de l'équipe produit",
        [
            (
                "marc",
                [
                    ("Bonjour à tous, merci d'être là.", "Hello everyone, thanks for being here."),
                    (
                        "Aujourd'hui on a trois sujets: | le budget, le planning de mars et le salon de Lyon.",
                        "Today we have three topics: the budget, the March schedule and the Lyon trade fair.",
                    ),
                    (
                        "Sophie, tu veux commencer par le budget?",
                        "Sophie, do you want to start with the budget?",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    ("Oui, merci.", "Yes, thank you."),
                    (
                        "On a dépensé 42 000 euros sur le premier trimestre, | c'est un peu moins que prévu.",
                        "We spent 42,000 euros in the first quarter, which is a little less than planned.",
                    ),
                    (
                        "Il nous reste donc environ 18 000 euros pour finir l'année.",
                        "So we have about 18,000 euros left to finish the year.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    ("D'accord.", "All right."),
                    (
                        "Et les licences, elles sont comprises?",
                        "And the licences, are they included?",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Non, les licences sont payées par la direction informatique.",
                        "No, the licences are paid for by the IT department.",
                    ),
                ],
            ),
            (
                "claire",
                [
                    (
                        "Pour le planning, | j'ai une mauvaise nouvelle.",
                        "About the schedule, I have some bad news.",
                    ),
                    (
                        "La livraison de la version deux est repoussée au 17 mars, | parce qu'il manque encore les tests de charge.",
                        "Delivery of version two is pushed back to March 17, because the load tests are still missing.",
                    ),
                    (
                        "L'équipe de Rennes s'en occupe cette semaine.",
                        "The Rennes team is handling it this week.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    (
                        "Ça nous laisse combien de jours avant le salon?",
                        "How many days does that leave us before the fair?",
                    )
                ],
            ),
            ("claire", [("Une dizaine de jours, pas plus.", "About ten days, no more.")]),
            ("+sophie", [("C'est juste.", "That's tight.")]),
            (
                "marc",
                [
                    (
                        "Bon, | on garde la date mais on prépare un plan de secours.",
                        "Well, we keep the date but we prepare a fallback plan.",
                    ),
                    ("Qui s'occupe du stand à Lyon?", "Who is taking care of the stand in Lyon?"),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Moi, avec deux personnes du service commercial.",
                        "Me, with two people from the sales department.",
                    ),
                    (
                        "On arrive la veille, | le mercredi soir, pour tout installer.",
                        "We arrive the day before, on Wednesday evening, to set everything up.",
                    ),
                ],
            ),
            ("marc", [("Parfait, merci à toutes les deux.", "Perfect, thank you both.")]),
        ],
    ),
    "formation-bordeaux": (
        "Organisation d'une formation à Bordeaux",
        [
            (
                "nadia",
                [
                    (
                        "Bonjour, je vous propose qu'on fixe les détails de la formation de Bordeaux.",
                        "Hello, I suggest we settle the details of the Bordeaux training.",
                    ),
                    (
                        "Elle aura lieu le jeudi 9 avril, | de neuf heures à dix-sept heures.",
                        "It will take place on Thursday April 9, from nine a.m. to five p.m.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    (
                        "Combien de participants sont inscrits?",
                        "How many participants have signed up?",
                    )
                ],
            ),
            (
                "nadia",
                [
                    (
                        "Pour l'instant vingt-six, | mais la salle peut accueillir trente personnes.",
                        "Twenty-six for now, but the room can hold thirty people.",
                    ),
                ],
            ),
            (
                "claire",
                [
                    (
                        "Il faudrait prévoir le déjeuner sur place, | sinon on perd une heure et demie.",
                        "We should plan lunch on site, otherwise we lose an hour and a half.",
                    ),
                    (
                        "J'ai demandé un devis au traiteur qu'on avait pris l'an dernier.",
                        "I asked for a quote from the caterer we used last year.",
                    ),
                ],
            ),
            ("sophie", [("Tu as reçu sa réponse?", "Did you get his answer?")]),
            (
                "claire",
                [
                    (
                        "Oui, hier soir: | quinze euros par personne, boissons comprises.",
                        "Yes, last night: fifteen euros per person, drinks included.",
                    ),
                ],
            ),
            ("nadia", [("Ça me paraît raisonnable.", "That seems reasonable to me.")]),
            (
                "marc",
                [
                    (
                        "Et pour le transport, | on part tous de Paris?",
                        "And for transport, are we all leaving from Paris?",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Non, moi je viens de Toulouse, | j'arriverai en train vers huit heures.",
                        "No, I'm coming from Toulouse, I'll arrive by train around eight.",
                    ),
                ],
            ),
            (
                "nadia",
                [
                    ("Très bien.", "Very well."),
                    (
                        "Je réserve l'hôtel pour ceux qui veulent arriver le mercredi.",
                        "I'll book the hotel for those who want to arrive on Wednesday.",
                    ),
                    (
                        "Envoyez-moi vos noms avant vendredi, s'il vous plaît.",
                        "Please send me your names before Friday.",
                    ),
                ],
            ),
            ("claire", [("D'accord.", "Okay.")]),
            ("marc", [("Oui, merci Nadia.", "Yes, thanks Nadia.")]),
        ],
    ),
    "incident-client": (
        "Retour sur un incident client",
        [
            (
                "claire",
                [
                    ("On fait le point sur la panne de lundi.", "Let's review Monday's outage."),
                    (
                        "Le service de visioconférence a été coupé pendant quarante minutes, | entre dix heures et dix heures quarante.",
                        "The video conferencing service was down for forty minutes, between ten and ten forty.",
                    ),
                ],
            ),
            ("marc", [("On connaît la cause?", "Do we know the cause?")]),
            (
                "claire",
                [
                    ("Oui.", "Yes."),
                    (
                        "Un certificat avait expiré sur le serveur de Strasbourg, | et personne n'avait reçu l'alerte.",
                        "A certificate had expired on the Strasbourg server, and nobody had received the alert.",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    ("Combien de clients ont été touchés?", "How many customers were affected?"),
                ],
            ),
            (
                "claire",
                [
                    (
                        "À peu près 1 200 utilisateurs, | surtout dans l'Est de la France.",
                        "Roughly 1,200 users, mostly in the east of France.",
                    ),
                    (
                        "Trois clients nous ont appelés directement.",
                        "Three customers called us directly.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    (
                        "Il faut qu'on leur écrive aujourd'hui, | avec une explication claire et honnête.",
                        "We need to write to them today, with a clear and honest explanation.",
                    ),
                    (
                        "Sophie, tu peux préparer le message?",
                        "Sophie, can you prepare the message?",
                    ),
                ],
            ),
            ("sophie", [("Oui, je l'envoie avant midi.", "Yes, I'll send it before noon.")]),
            (
                "claire",
                [
                    (
                        "De notre côté, | on a ajouté une vérification automatique des certificats.",
                        "On our side, we added an automatic check of the certificates.",
                    ),
                    (
                        "Elle tourne chaque nuit à deux heures du matin.",
                        "It runs every night at two in the morning.",
                    ),
                ],
            ),
            ("+marc", [("Très bien.", "Very good.")]),
            (
                "marc",
                [
                    (
                        "Est-ce qu'on propose un geste commercial?",
                        "Do we offer a goodwill gesture?",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Je pense qu'un mois offert serait apprécié, | surtout pour la mairie de Metz.",
                        "I think a free month would be appreciated, especially by the Metz town hall.",
                    ),
                ],
            ),
            ("marc", [("D'accord, on fait comme ça.", "Agreed, let's do that.")]),
        ],
    ),
    "demenagement-nantes": (
        "Déménagement des bureaux à Nantes",
        [
            (
                "sophie",
                [
                    ("Bonjour.", "Hello."),
                    (
                        "Comme vous le savez, | on quitte les bureaux actuels le 30 juin.",
                        "As you know, we are leaving the current offices on June 30.",
                    ),
                    (
                        "Les nouveaux locaux sont près de la gare de Nantes, | au troisième étage.",
                        "The new premises are near Nantes station, on the third floor.",
                    ),
                ],
            ),
            ("nadia", [("Quelle est la surface?", "What is the floor area?")]),
            (
                "sophie",
                [
                    (
                        "Environ 450 mètres carrés, | soit cent de plus qu'aujourd'hui.",
                        "About 450 square metres, that is a hundred more than today.",
                    ),
                ],
            ),
            (
                "claire",
                [
                    ("Et le loyer?", "And the rent?"),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Il passe à 9 500 euros par mois, | charges comprises.",
                        "It goes up to 9,500 euros a month, service charges included.",
                    ),
                ],
            ),
            (
                "nadia",
                [
                    ("J'ai une question sur le réseau.", "I have a question about the network."),
                    (
                        "Est-ce que la fibre est déjà installée, | ou faut-il la commander?",
                        "Is the fibre already installed, or do we have to order it?",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Elle est installée, | mais il faudra tester le débit avant l'arrivée de l'équipe.",
                        "It is installed, but we will have to test the speed before the team arrives.",
                    ),
                ],
            ),
            (
                "claire",
                [
                    (
                        "Je peux m'en charger la semaine du 15 juin.",
                        "I can take care of it in the week of June 15.",
                    )
                ],
            ),
            ("sophie", [("Merci Claire.", "Thank you Claire.")]),
            (
                "nadia",
                [
                    ("Pour les cartons, | on commence quand?", "For the boxes, when do we start?"),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Chacun prépare ses affaires la dernière semaine.",
                        "Everyone packs their things in the last week.",
                    ),
                    (
                        "Le transporteur passe le lundi 29 juin au matin.",
                        "The movers come on Monday June 29 in the morning.",
                    ),
                ],
            ),
            ("+nadia", [("Parfait.", "Perfect.")]),
        ],
    ),
    "partenaire-londres": (
        "Réunion avec un partenaire de Londres (français et anglais)",
        [
            (
                "marc",
                [
                    ("Bonjour James, bonjour Sophie.", "Hello James, hello Sophie."),
                    (
                        "On va parler de la sortie de la version trois, | prévue pour le 2 octobre.",
                        "We are going to talk about the release of version three, planned for October 2.",
                    ),
                ],
            ),
            (
                "james",
                [
                    ("Thanks Marc.", "Thanks Marc."),
                    (
                        "On our side, | the translation of the interface is almost finished.",
                        "On our side, the translation of the interface is almost finished.",
                    ),
                    (
                        "We still need two weeks for the help pages.",
                        "We still need two weeks for the help pages.",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    (
                        "Deux semaines, ça nous amène à mi-septembre?",
                        "Two weeks, that takes us to mid-September?",
                    )
                ],
            ),
            (
                "james",
                [
                    (
                        "Yes, around the sixteenth of September.",
                        "Yes, around the sixteenth of September.",
                    ),
                    (
                        "I'd like your team to review the French pages before that.",
                        "I'd like your team to review the French pages before that.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    (
                        "D'accord, | Sophie peut relire les pages en français.",
                        "All right, Sophie can proofread the French pages.",
                    ),
                ],
            ),
            (
                "sophie",
                [
                    ("Oui, sans problème.", "Yes, no problem."),
                    (
                        "Tu peux m'envoyer le lien vers les documents?",
                        "Can you send me the link to the documents?",
                    ),
                ],
            ),
            (
                "james",
                [
                    (
                        "Of course, | I'll send it this afternoon.",
                        "Of course, I'll send it this afternoon.",
                    ),
                    (
                        "One more thing: | our customers in London want a demo on the first of October.",
                        "One more thing: our customers in London want a demo on the first of October.",
                    ),
                ],
            ),
            (
                "marc",
                [
                    (
                        "C'est possible, | mais la veille de la sortie, ce sera chargé.",
                        "It is possible, but the day before the release, it will be busy.",
                    ),
                    (
                        "On peut la faire en ligne, | à onze heures, heure de Paris?",
                        "Can we do it online, at eleven, Paris time?",
                    ),
                ],
            ),
            ("james", [("That works for me.", "That works for me.")]),
            ("marc", [("Parfait, merci à vous deux.", "Perfect, thank you both.")]),
        ],
    ),
}
