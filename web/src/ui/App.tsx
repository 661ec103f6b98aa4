import type { SignalingChannel } from '../room/signaling';
import type { RoomLookup } from '../api/rooms';
import { ErrorPage } from './ErrorPage';
import { HomePage } from './HomePage';
import { onDemand, PartSlot } from './onDemand';
import { RoomPage } from './RoomPage';
import { matchRoute, usePath } from './router';

// Pages a meeting link never shows come in chunks of their own (the home and meeting pages do not).
const MyRoomsPage = onDemand(() => import('./MyRoomsPage').then((m) => m.MyRoomsPage));
const RecordsPage = onDemand(() => import('../transcripts/RecordsPage').then((m) => m.RecordsPage));
const SearchPage = onDemand(() => import('../transcripts/SearchPage').then((m) => m.SearchPage));
const MyMeetingsPage = onDemand(() => import('../scheduling/MyMeetingsPage').then((m) => m.MyMeetingsPage));
const ScheduleMeetingPage = onDemand(() =>
  import('../scheduling/ScheduleMeetingPage').then((m) => m.ScheduleMeetingPage),
);
const CalendarPage = onDemand(() => import('../calendars/CalendarPage').then((m) => m.CalendarPage));

interface AppProps {
  /** The lookup of the room in the URL the page was loaded with, started before React rendered. */
  initialRoom?:
    | { slug: string; lookup: Promise<RoomLookup>; result?: RoomLookup; socket?: SignalingChannel | undefined }
    | undefined;
}

export function App({ initialRoom }: AppProps) {
  return <PartSlot>{page(matchRoute(usePath()), initialRoom)}</PartSlot>;
}

function page(route: ReturnType<typeof matchRoute>, initialRoom: AppProps['initialRoom']) {
  switch (route.page) {
    case 'home':
      return <HomePage />;
    case 'rooms':
      return <MyRoomsPage />;
    case 'room':
      // A new key per room: nothing of one meeting leaks into the next.
      return (
        <RoomPage
          key={route.slug}
          slug={route.slug}
          prefetched={initialRoom?.slug === route.slug ? initialRoom : undefined}
        />
      );
    case 'not-found':
      return <ErrorPage code="page_not_found" />;
    case 'records':
      return <RecordsPage key={route.slug} slug={route.slug} />;
    case 'transcript-search':
      return <SearchPage />;
    case 'meetings':
      return <MyMeetingsPage />;
    case 'schedule':
      return <ScheduleMeetingPage key={route.meetingId ?? 'new'} meetingId={route.meetingId} />;
    case 'calendar':
      return <CalendarPage />;
  }
}
