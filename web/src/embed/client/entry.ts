// The entry of /embed/visio-embed.js: a classic script that defines the global `VisioMeeting`.
import { VisioMeeting } from './VisioMeeting';

export default VisioMeeting;
