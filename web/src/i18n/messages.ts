/**
 * Every string the person reads, in English and French. `fr` must have every key of `en` with the
 * same shape (TypeScript checks it); strings with values are functions.
 */

const en = {
  languageName: 'English',
  switchLanguage: 'Passer en français',
  switchLanguageShort: 'FR',

  productName: 'Visio',
  tagline: 'Secure video meetings for public services. Nothing to install.',
  homeIntro: 'Start a meeting and share the link, or join one with a code.',
  newMeeting: 'New meeting',
  creatingMeeting: 'Creating…',
  meetingCodeLabel: 'Enter a meeting link or code',
  meetingCodePlaceholder: 'abc-defg-hij',
  join: 'Join',
  createFailed: 'The meeting could not be created. Check your connection and try again.',
  homeFootnote: 'Hosted by your administration. Audio, video and data stay on its servers.',
  logInWith: (provider: string) => `Log in with ${provider}`,
  accountMenu: 'Account menu',
  logOut: 'Log out',
  logOutFailed: 'Logging out failed. Check your connection and try again.',
  loginFailed: (code: string) =>
    `Signing in failed (${code}). Try again; if it keeps failing, contact your support team.`,
  loginCancelled: 'Signing in was cancelled. You can try again.',
  signedOut: 'You are signed out.',

  loading: 'Loading…',
  home: 'Home',
  retry: 'Try again',

  roomNotFoundTitle: "This meeting doesn't exist",
  roomNotFoundText: 'Check the link you were sent, or start a new meeting.',
  invalidLinkTitle: "This meeting link isn't valid",
  invalidLinkText: 'Check the link you were sent: a meeting code looks like abc-defg-hij.',
  pageNotFoundTitle: "This page doesn't exist",
  pageNotFoundText: 'Go back to the home page to start or join a meeting.',
  networkErrorTitle: "Visio can't be reached",
  networkErrorText: 'Check your internet connection, then try again.',
  noWebrtcTitle: "This browser can't make video calls",
  noWebrtcText:
    'Open this link in a recent version of Firefox, Chrome, Chromium, Edge or Safari. If you already use one, make sure the address starts with https://.',
  roomFullTitle: 'This meeting is full',
  roomFullText: 'No one else can join for now. Try again later or ask the organiser.',
  outdatedTitle: 'Visio has been updated',
  outdatedText: 'Reload the page to join with the new version.',
  reload: 'Reload',
  connectionLostTitle: 'You were disconnected',
  connectionLostText: 'The meeting ended your connection. You can try to join again.',
  genericErrorTitle: 'Something went wrong',
  genericErrorText: 'Try to join again. If it keeps happening, contact your support team.',

  preJoinTitle: 'Ready to join?',
  meetingCode: 'Meeting code',
  copyLink: 'Copy link',
  linkCopied: 'Link copied',
  nameLabel: 'Your name',
  namePlaceholder: 'First and last name',
  nameRequired: 'Enter your name to join.',
  nameTooLong: 'Your name can have at most 64 characters.',
  participantsInRoom: (count: number) =>
    count === 0 ? 'No one is here yet' : count === 1 ? '1 person is in the meeting' : `${count} people are in the meeting`,
  microphone: 'Microphone',
  camera: 'Camera',
  speaker: 'Speaker',
  defaultDevice: 'Default',
  micLevel: 'Microphone level',
  cameraOffPreview: 'Camera is off',
  cameraStarting: 'Starting camera…',
  previewLabel: 'Preview of your camera',
  mediaDeniedTitle: 'Visio is not allowed to use your camera and microphone',
  mediaDeniedText:
    'Click the camera or lock icon in the address bar, allow the camera and microphone, then reload the page. You can also join without them.',
  mediaNotFoundTitle: 'No camera or microphone was found',
  mediaNotFoundText: 'Plug one in and reload the page, or join without them.',
  mediaInUseTitle: 'Your camera or microphone is busy',
  mediaInUseText: 'Another application may be using it. Close it and reload the page, or join without it.',
  joinMeeting: 'Join now',
  joining: 'Joining…',

  turnOnMic: 'Turn on microphone',
  turnOffMic: 'Turn off microphone',
  turnOnCamera: 'Turn on camera',
  turnOffCamera: 'Turn off camera',
  shareScreen: 'Share your screen',
  stopSharing: 'Stop sharing',
  showParticipants: 'Show participants',
  hideParticipants: 'Hide participants',
  leave: 'Leave the meeting',
  meetingControls: 'Meeting controls',
  participants: 'Participants',
  closePanel: 'Close',
  you: 'You',
  youSuffix: '(you)',
  moderatorBadge: 'Moderator',
  screenOf: (name: string) => `${name}'s screen`,
  yourScreen: 'Your screen',
  youArePresenting: 'You are presenting to everyone',
  micOff: 'Microphone off',
  micOn: 'Microphone on',
  cameraOff: 'Camera off',
  cameraOn: 'Camera on',
  presenting: 'Presenting',
  speaking: 'Speaking',
  reconnecting: 'Reconnecting…',
  connecting: 'Connecting…',
  aloneInMeeting: "You're the only one here. Share the link to invite people.",
  participantJoined: (name: string) => `${name} joined the meeting`,
  participantLeft: (name: string) => `${name} left the meeting`,
  cameraFailed: 'Your camera could not be started.',
  microphoneFailed: 'Your microphone could not be started.',
  screenFailed: 'Your screen could not be shared.',
  mediaFailed: 'Audio and video are having trouble. Visio keeps trying.',
  dismiss: 'Dismiss',

  subtitles: 'Subtitles',
  showSubtitles: 'Show subtitles',
  hideSubtitles: 'Hide subtitles',
  subtitlesOffForMeetingHint: 'Subtitles are off for this meeting',
  showSubtitlesPanel: 'Show subtitle history',
  hideSubtitlesPanel: 'Hide subtitle history',
  subtitlesPanel: 'Subtitle history',
  subtitlesOn: (language: string) => `Subtitles on · ${language}`,
  subtitlesOff: 'Subtitles off',
  captionLanguageAuto: 'Automatic detection',
  captionLanguageAutoShort: 'Auto',
  liveSubtitles: 'Live subtitles',
  subtitlesForEveryone: 'Subtitles for everyone',
  spokenLanguage: 'Spoken language',
  turnOnSubtitles: 'Turn on for everyone',
  turnOffSubtitles: 'Turn off for everyone',
  turningOnSubtitles: 'Turning on…',
  turningOffSubtitles: 'Turning off…',
  subtitlesModeratorOnly: "Only the meeting's moderator can turn subtitles on or off.",
  subtitlesOnAnnouncement: (language: string, by: string | null) =>
    by ? `${by} turned on subtitles (${language})` : `Subtitles are on (${language})`,
  subtitlesOffAnnouncement: (by: string | null) => (by ? `${by} turned off subtitles` : 'Subtitles are off'),
  subtitlesEmptyOn: 'What people say will appear here.',
  subtitlesEmptyOff: 'Subtitles are off for this meeting.',
  subtitlesHiddenNote: 'Hidden over the video for you. The history keeps going.',
  textSize: 'Text size',
  smallerText: 'Smaller subtitle text',
  largerText: 'Larger subtitle text',
  jumpToLatest: 'Jump to the latest',
  captionsForbidden: "Only the meeting's moderator can turn subtitles on or off.",
  captionsUnavailable: 'Subtitles are not available right now: no speech service can take this meeting. Try again in a few minutes.',

  leftTitle: 'You left the meeting',
  leftText: 'Rejoin if you left by mistake.',
  rejoin: 'Rejoin',
  returnHome: 'Return to home page',
} as const;

/** The shape every language has: the same keys, strings as strings, functions as functions. */
export type Messages = {
  [Key in keyof typeof en]: (typeof en)[Key] extends string ? string : (typeof en)[Key];
};

const fr: Messages = {
  languageName: 'Français',
  switchLanguage: 'Switch to English',
  switchLanguageShort: 'EN',

  productName: 'Visio',
  tagline: 'La visioconférence sécurisée des services publics. Rien à installer.',
  homeIntro: 'Lancez une réunion et partagez le lien, ou rejoignez-en une avec un code.',
  newMeeting: 'Nouvelle réunion',
  creatingMeeting: 'Création…',
  meetingCodeLabel: 'Saisissez un lien ou un code de réunion',
  meetingCodePlaceholder: 'abc-defg-hij',
  join: 'Rejoindre',
  createFailed: "La réunion n'a pas pu être créée. Vérifiez votre connexion et réessayez.",
  homeFootnote: 'Hébergé par votre administration. Le son, la vidéo et les données restent sur ses serveurs.',
  logInWith: (provider: string) => `Se connecter avec ${provider}`,
  accountMenu: 'Menu du compte',
  logOut: 'Se déconnecter',
  logOutFailed: 'La déconnexion a échoué. Vérifiez votre connexion et réessayez.',
  loginFailed: (code: string) =>
    `La connexion a échoué (${code}). Réessayez ; si cela se reproduit, contactez votre support.`,
  loginCancelled: 'La connexion a été annulée. Vous pouvez réessayer.',
  signedOut: 'Vous êtes déconnecté·e.',

  loading: 'Chargement…',
  home: 'Accueil',
  retry: 'Réessayer',

  roomNotFoundTitle: "Cette réunion n'existe pas",
  roomNotFoundText: 'Vérifiez le lien que vous avez reçu, ou lancez une nouvelle réunion.',
  invalidLinkTitle: "Ce lien de réunion n'est pas valide",
  invalidLinkText: 'Vérifiez le lien que vous avez reçu : un code de réunion ressemble à abc-defg-hij.',
  pageNotFoundTitle: "Cette page n'existe pas",
  pageNotFoundText: "Revenez à l'accueil pour lancer ou rejoindre une réunion.",
  networkErrorTitle: 'Visio est injoignable',
  networkErrorText: 'Vérifiez votre connexion internet, puis réessayez.',
  noWebrtcTitle: 'Ce navigateur ne permet pas les appels vidéo',
  noWebrtcText:
    "Ouvrez ce lien dans une version récente de Firefox, Chrome, Chromium, Edge ou Safari. Si c'est déjà le cas, vérifiez que l'adresse commence par https://.",
  roomFullTitle: 'Cette réunion est complète',
  roomFullText: "Personne d'autre ne peut entrer pour l'instant. Réessayez plus tard ou contactez l'organisateur.",
  outdatedTitle: 'Visio a été mis à jour',
  outdatedText: 'Rechargez la page pour rejoindre avec la nouvelle version.',
  reload: 'Recharger',
  connectionLostTitle: 'Vous avez été déconnecté',
  connectionLostText: 'La réunion a mis fin à votre connexion. Vous pouvez essayer de la rejoindre à nouveau.',
  genericErrorTitle: 'Un problème est survenu',
  genericErrorText: "Essayez de rejoindre à nouveau. Si le problème persiste, contactez votre support.",

  preJoinTitle: 'Prêt à rejoindre ?',
  meetingCode: 'Code de la réunion',
  copyLink: 'Copier le lien',
  linkCopied: 'Lien copié',
  nameLabel: 'Votre nom',
  namePlaceholder: 'Prénom et nom',
  nameRequired: 'Saisissez votre nom pour rejoindre.',
  nameTooLong: 'Votre nom peut compter 64 caractères au plus.',
  participantsInRoom: (count: number) =>
    count === 0
      ? "Personne n'est encore là"
      : count === 1
        ? '1 personne est dans la réunion'
        : `${count} personnes sont dans la réunion`,
  microphone: 'Micro',
  camera: 'Caméra',
  speaker: 'Haut-parleur',
  defaultDevice: 'Par défaut',
  micLevel: 'Niveau du micro',
  cameraOffPreview: 'La caméra est coupée',
  cameraStarting: 'Démarrage de la caméra…',
  previewLabel: 'Aperçu de votre caméra',
  mediaDeniedTitle: "Visio n'a pas l'autorisation d'utiliser votre caméra et votre micro",
  mediaDeniedText:
    "Cliquez sur l'icône de caméra ou de cadenas dans la barre d'adresse, autorisez la caméra et le micro, puis rechargez la page. Vous pouvez aussi rejoindre sans eux.",
  mediaNotFoundTitle: 'Aucune caméra ni aucun micro trouvé',
  mediaNotFoundText: 'Branchez-en un et rechargez la page, ou rejoignez sans.',
  mediaInUseTitle: 'Votre caméra ou votre micro est occupé',
  mediaInUseText: "Une autre application l'utilise peut-être. Fermez-la et rechargez la page, ou rejoignez sans.",
  joinMeeting: 'Participer',
  joining: 'Connexion…',

  turnOnMic: 'Activer le micro',
  turnOffMic: 'Couper le micro',
  turnOnCamera: 'Activer la caméra',
  turnOffCamera: 'Couper la caméra',
  shareScreen: 'Partager votre écran',
  stopSharing: 'Arrêter le partage',
  showParticipants: 'Afficher les participants',
  hideParticipants: 'Masquer les participants',
  leave: 'Quitter la réunion',
  meetingControls: 'Commandes de la réunion',
  participants: 'Participants',
  closePanel: 'Fermer',
  you: 'Vous',
  youSuffix: '(vous)',
  moderatorBadge: 'Modérateur',
  screenOf: (name: string) => `Écran de ${name}`,
  yourScreen: 'Votre écran',
  youArePresenting: 'Vous présentez à tous les participants',
  micOff: 'Micro coupé',
  micOn: 'Micro activé',
  cameraOff: 'Caméra coupée',
  cameraOn: 'Caméra activée',
  presenting: 'Présente',
  speaking: 'Parle',
  reconnecting: 'Reconnexion…',
  connecting: 'Connexion…',
  aloneInMeeting: 'Vous êtes seul ici. Partagez le lien pour inviter des participants.',
  participantJoined: (name: string) => `${name} a rejoint la réunion`,
  participantLeft: (name: string) => `${name} a quitté la réunion`,
  cameraFailed: "Votre caméra n'a pas pu démarrer.",
  microphoneFailed: "Votre micro n'a pas pu démarrer.",
  screenFailed: "Votre écran n'a pas pu être partagé.",
  mediaFailed: 'Le son et la vidéo rencontrent des difficultés. Visio continue d’essayer.',
  dismiss: 'Fermer',

  subtitles: 'Sous-titres',
  showSubtitles: 'Afficher les sous-titres',
  hideSubtitles: 'Masquer les sous-titres',
  subtitlesOffForMeetingHint: 'Les sous-titres sont désactivés pour cette réunion',
  showSubtitlesPanel: "Afficher l'historique des sous-titres",
  hideSubtitlesPanel: "Masquer l'historique des sous-titres",
  subtitlesPanel: 'Historique des sous-titres',
  subtitlesOn: (language: string) => `Sous-titres activés · ${language}`,
  subtitlesOff: 'Sous-titres désactivés',
  captionLanguageAuto: 'Détection automatique',
  captionLanguageAutoShort: 'Auto',
  liveSubtitles: 'Sous-titres en direct',
  subtitlesForEveryone: 'Sous-titres pour tous',
  spokenLanguage: 'Langue parlée',
  turnOnSubtitles: 'Activer pour tous',
  turnOffSubtitles: 'Désactiver pour tous',
  turningOnSubtitles: 'Activation…',
  turningOffSubtitles: 'Désactivation…',
  subtitlesModeratorOnly: 'Seul le modérateur de la réunion peut activer ou désactiver les sous-titres.',
  subtitlesOnAnnouncement: (language: string, by: string | null) =>
    by ? `${by} a activé les sous-titres (${language})` : `Sous-titres activés (${language})`,
  subtitlesOffAnnouncement: (by: string | null) => (by ? `${by} a désactivé les sous-titres` : 'Sous-titres désactivés'),
  subtitlesEmptyOn: 'Les paroles des participants apparaîtront ici.',
  subtitlesEmptyOff: 'Les sous-titres sont désactivés pour cette réunion.',
  subtitlesHiddenNote: "Masqués sur la vidéo pour vous. L'historique continue.",
  textSize: 'Taille du texte',
  smallerText: 'Sous-titres plus petits',
  largerText: 'Sous-titres plus grands',
  jumpToLatest: 'Aller au plus récent',
  captionsForbidden: 'Seul le modérateur de la réunion peut activer ou désactiver les sous-titres.',
  captionsUnavailable:
    'Les sous-titres sont indisponibles pour le moment : aucun service de reconnaissance vocale ne peut prendre en charge cette réunion. Réessayez dans quelques minutes.',

  leftTitle: 'Vous avez quitté la réunion',
  leftText: 'Rejoignez-la à nouveau si vous êtes parti par erreur.',
  rejoin: 'Rejoindre à nouveau',
  returnHome: "Revenir à l'accueil",
};

export type Language = 'fr' | 'en';

export const MESSAGES: Record<Language, Messages> = { en, fr };

const STORAGE_KEY = 'visio.language';

/** The remembered choice, else the browser's preferred language (French or English, English otherwise). */
export function initialLanguage(
  storage: Pick<Storage, 'getItem'> | null,
  browserLanguages: readonly string[],
): Language {
  const stored = safely(() => storage?.getItem(STORAGE_KEY));
  if (stored === 'fr' || stored === 'en') return stored;
  for (const tag of browserLanguages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'fr' || primary === 'en') return primary;
  }
  return 'en';
}

export function rememberLanguage(storage: Pick<Storage, 'setItem'> | null, language: Language): void {
  safely(() => storage?.setItem(STORAGE_KEY, language));
}

function safely<T>(action: () => T): T | undefined {
  try {
    return action();
  } catch {
    return undefined; // Storage can be disabled (private browsing, policies).
  }
}
