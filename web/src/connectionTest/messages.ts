/**
 * The connection test's words, in English and French (kept beside it rather than in the app's
 * big message table; `fr` must have every key of `en`, which TypeScript checks).
 */
import type { Language } from '../i18n/messages';
import type { Advice, MediaPath, Quality, Transport, TransportResult } from './verdict';

const en = {
  title: 'Connection test',
  intro: 'Check that your network lets the meeting through, and how well.',
  start: 'Test my connection',
  again: 'Test again',
  running: 'Testing your connection… (up to 20 seconds)',
  failed: 'The test could not start. Check your connection and try again.',
  rateLimited: (seconds: number) => `Too many tests from your network. Try again in ${seconds} s.`,
  pathLabel: 'Path',
  roundTripLabel: 'Round trip',
  lossLabel: 'Loss',
  transportsLabel: 'Relay over',
  path: {
    'direct-udp': 'Direct (UDP)',
    'turn-tcp': 'Through the relay, over TCP',
    'turn-tls': 'Through the relay, over TLS (port 443)',
    none: 'No path',
    unknown: 'Not tested',
  } satisfies Record<MediaPath, string>,
  headline: {
    good: 'Your connection is good for a meeting.',
    fair: 'Your connection is fair: the meeting should work, with some delay or blur.',
    poor: 'Your connection is poor: expect choppy sound and frozen video.',
    unknown: 'The meeting should connect.',
    relayed: 'Your connection works for a meeting, through the relay.',
    blocked: 'Your network blocks the meeting.',
    untested: 'The connection could not be tested here.',
  } satisfies Record<Quality | 'relayed' | 'blocked' | 'untested', string>,
  transport: { udp: 'UDP', tcp: 'TCP', tls: 'TLS 443' } satisfies Record<Transport, string>,
  transportResult: { open: 'works', blocked: 'blocked', absent: 'not offered' } satisfies Record<TransportResult, string>,
  advice: {
    'no-relay-configured':
      'This Visio server has no relay server (TURN) to test against. If joining fails, tell your administrator.',
    'udp-blocked':
      'Your network blocks UDP, which video calls prefer. The meeting will go through the relay, which works but adds some delay.',
    'only-tls':
      'Only encrypted web traffic (port 443) gets out of your network, so the relay uses TLS: the slowest path, but it works.',
    blocked:
      'Neither UDP nor TCP reaches Visio’s relay. Try another network (a phone hotspot), or ask your IT department to allow TCP port 443 to the relay server.',
    slow: 'The round trip is long: people may talk over each other. A cable, a closer Wi-Fi access point or switching off a VPN can help.',
    lossy: 'Some data is lost on the way: move closer to the Wi-Fi access point, use a cable, or stop downloads on your network.',
    unmeasured: 'The relay answered, but the quality could not be measured. The meeting should still connect.',
    'timed-out': 'Some checks took too long and were stopped.',
  } satisfies Record<Advice, string>,
  transportLine: (transport: string, result: string) => `${transport}: ${result}`,
  milliseconds: (value: number) => `${value} ms`,
  percent: (value: number) => `${value} %`,
};

export type ConnectionTestMessages = typeof en;

const fr: ConnectionTestMessages = {
  title: 'Test de connexion',
  intro: 'Vérifiez que votre réseau laisse passer la réunion, et dans quelles conditions.',
  start: 'Tester ma connexion',
  again: 'Tester à nouveau',
  running: 'Test de votre connexion… (20 secondes au plus)',
  failed: 'Le test n’a pas pu démarrer. Vérifiez votre connexion et réessayez.',
  rateLimited: (seconds: number) => `Trop de tests depuis votre réseau. Réessayez dans ${seconds} s.`,
  pathLabel: 'Chemin',
  roundTripLabel: 'Aller-retour',
  lossLabel: 'Pertes',
  transportsLabel: 'Relais par',
  path: {
    'direct-udp': 'Direct (UDP)',
    'turn-tcp': 'Par le relais, en TCP',
    'turn-tls': 'Par le relais, en TLS (port 443)',
    none: 'Aucun chemin',
    unknown: 'Non testé',
  },
  headline: {
    good: 'Votre connexion convient bien à une réunion.',
    fair: 'Votre connexion est correcte : la réunion devrait fonctionner, avec un peu de retard ou de flou.',
    poor: 'Votre connexion est faible : attendez-vous à un son haché et à des images figées.',
    unknown: 'La réunion devrait pouvoir se connecter.',
    relayed: 'Votre connexion permet la réunion, en passant par le relais.',
    blocked: 'Votre réseau bloque la réunion.',
    untested: 'La connexion n’a pas pu être testée ici.',
  },
  transport: { udp: 'UDP', tcp: 'TCP', tls: 'TLS 443' },
  transportResult: { open: 'fonctionne', blocked: 'bloqué', absent: 'non proposé' },
  advice: {
    'no-relay-configured':
      'Ce serveur Visio n’a pas de serveur relais (TURN) pour le test. Si vous ne parvenez pas à rejoindre la réunion, prévenez votre administrateur.',
    'udp-blocked':
      'Votre réseau bloque l’UDP, que les appels vidéo préfèrent. La réunion passera par le relais : cela fonctionne, mais ajoute un peu de délai.',
    'only-tls':
      'Seul le trafic web chiffré (port 443) sort de votre réseau : le relais passe donc par TLS, le chemin le plus lent, mais il fonctionne.',
    blocked:
      'Ni l’UDP ni le TCP n’atteignent le relais de Visio. Essayez un autre réseau (partage de connexion d’un téléphone) ou demandez à votre service informatique d’ouvrir le port TCP 443 vers le serveur relais.',
    slow: 'L’aller-retour est long : vous risquez de parler en même temps que les autres. Un câble ou une borne Wi-Fi plus proche aide, tout comme couper un VPN.',
    lossy: 'Une partie des données se perd en route : rapprochez-vous de la borne Wi-Fi, utilisez un câble ou arrêtez les téléchargements sur votre réseau.',
    unmeasured: 'Le relais a répondu, mais la qualité n’a pas pu être mesurée. La réunion devrait tout de même se connecter.',
    'timed-out': 'Certaines vérifications ont pris trop de temps et ont été arrêtées.',
  },
  transportLine: (transport: string, result: string) => `${transport}\u00a0: ${result}`,
  milliseconds: (value: number) => `${value} ms`,
  percent: (value: number) => `${value.toLocaleString('fr-FR')} %`,
};

export const CONNECTION_TEST_MESSAGES: Record<Language, ConnectionTestMessages> = { en, fr };
