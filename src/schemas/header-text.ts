// The outcome's `event-id` Kafka header carries the producer's event_id, and
// tools that print, log or forward headers as text read it: a control
// character there ends a line, forges a log entry or is refused outright.

/** Text without C0 or C1 control characters (nor DEL); a pattern, so the published schemas carry it too. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
export const HEADER_TEXT = /^[^\u0000-\u001F\u007F-\u009F]*$/;

export const HEADER_TEXT_MESSAGE =
  'must not contain control characters (U+0000–U+001F, U+007F–U+009F), as it is sent as a Kafka header';
