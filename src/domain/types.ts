/** Wire shapes of the API v1 contract (camelCase, dates as ISO 8601 UTC strings). */

export interface EventSummary {
  id: number;
  title: string;
  description: string | null;
  date: string;
  location: string;
}

export interface OrganizerSummary {
  id: number;
  name: string;
  email: string;
}

export interface SpeakerSummary {
  id: number;
  name: string;
  email: string;
  expertise: string | null;
}

export interface ParticipantSummary {
  id: number;
  name: string;
  email: string;
}

export interface EventDocument extends EventSummary {
  category: string | null;
  capacity: number | null;
  organizer: OrganizerSummary | null;
  speakers: SpeakerSummary[];
  participants: ParticipantSummary[];
}

export interface OrganizerDocument {
  id: number;
  name: string;
  email: string;
  events: EventSummary[];
}

export interface SpeakerDocument {
  id: number;
  name: string;
  email: string;
  biography: string | null;
  expertise: string | null;
  events: EventSummary[];
}

export interface ParticipantDocument {
  id: number;
  name: string;
  email: string;
  interests: string | null;
}

export interface UserDocument {
  id: number;
  username: string;
  email: string;
}

export interface Statistics {
  eventCount: number;
  organizerCount: number;
  speakerCount: number;
  participantCount: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
}

/** Request bodies after JSON Schema validation (dates still as the client wrote them). */
export interface EventInput {
  title: string;
  description?: string | null;
  date: string;
  location: string;
  category?: string | null;
  capacity?: number | null;
  organizerId: number;
}

export interface OrganizerInput {
  name: string;
  email: string;
}

export interface SpeakerInput {
  name: string;
  email: string;
  biography: string;
  expertise?: string | null;
}

export interface ParticipantInput {
  name: string;
  email: string;
  interests?: string | null;
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
}

export interface LoginInput {
  email: string;
  password: string;
}

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}

export type EventSort = 'date' | 'date_desc' | 'title' | 'title_desc';
export type NameSort = 'name' | 'name_desc';

/** A validated list request: pageSize already clamped to 1..50. */
export interface ListQuery<S extends string = string> {
  pageNumber: number;
  pageSize: number;
  sortBy: S;
  filter: string | null;
}

export interface PageMeta {
  totalCount: number;
  pageNumber: number;
  pageSize: number;
}
