// What a note says, on the phone and at the desk. A note that is only a photo is stored without words
// (D145), and each screen names it in its own language. Notes stored before that carry the
// server's Chinese placeholder as their text: with a photo, it is read as the label too, so an English
// screen never shows "（照片）" or "现场照片" as if someone had written it.
import { registerStrings, t } from './i18n.js';

registerStrings({
  zh: { 'note.photo_only': '（照片）' },
  en: { 'note.photo_only': '(photo)' },
});

// The texts the server once stored for a photo without words: a phone's note, an emergency report's photo.
const STORED_PLACEHOLDERS = new Set(['（照片）', '现场照片']);

/** The note's words, or the photo label when it has a photo and no words of its own; '' otherwise. */
export function noteText(n) {
  const text = String(n?.text ?? n?.content ?? '').trim();
  const photo = Boolean(n?.photo_sha256 || n?.photo_sha256s?.length);
  if (text && !(photo && STORED_PLACEHOLDERS.has(text))) return String(n.text ?? n.content);
  return photo ? t('note.photo_only') : '';
}
