/**
 * Well-formed text. A JavaScript string may hold a lone UTF-16 surrogate (half of a pair), which
 * has no UTF-8 encoding: Firestore refuses to store it, so a message or an answer carrying one
 * could be answered and never recorded. Inputs with one are refused; text from elsewhere (the
 * agent's answer) is made well-formed before it is stored.
 */

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Whether `text` has no lone surrogate (String.prototype.isWellFormed, on any runtime). */
export const isWellFormedText = (text: string): boolean => !new RegExp(LONE_SURROGATE.source).test(text);

/** `text` with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would. */
export const wellFormedText = (text: string): string => text.replace(LONE_SURROGATE, "\uFFFD");
