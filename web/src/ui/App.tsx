import type { SignalingChannel } from '../room/signaling';
import type { RoomLookup } from '../api/rooms';
import { CalendarPage } from '../calendars/CalendarPage';
import { ErrorPage } from './ErrorPage';
import { HomePage } from './HomePage';
import { MyRoomsPage } from './MyRoomsPage';
import { RoomPage } from './RoomPage';
import { MyMeetingsPage } from '../scheduling/MyMeetingsPage';
import { ScheduleMeetingPage } from '../scheduling/ScheduleMeetingPage';
import { matchRoute, usePath } from './router';
import { RecordsPage } from '../transcripts/RecordsPage';
import { SearchPage } from '../transcripts/SearchPage';

interface AppProps {
  /** The lookup of the room in the URL the page was loaded with, started before React rendered. */
  initialRoom?:
    | { slug: string; lookup: Promise<RoomLookup>; result?: RoomLookup; socket?: SignalingChannel | undefined }
    | undefined;
}

export function App({ initialRoom }: AppProps) {
  const route = matchRoute(usePath());
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
