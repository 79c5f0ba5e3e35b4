/**
 * The display-name rules on their own: every kind of name that could garble, hide or impersonate
 * in another client's member list, each refused with its exact message, and the names real people
 * write (accents, emoji, CJK, inner spaces) accepted and normalized.
 */

import assert from "node:assert/strict";
import { defaultName, LIMITS } from "./mod.ts";
import { checkName, MAX_COMBINING_RUN, RESERVED_NAME_PREFIX } from "./names.ts";
import { parseFrame } from "./validate.ts";

const FIELD = "data.name";

/** The message `checkName` throws for `value`, or a failure if it passes. */
function refusal(value: unknown): string {
  try {
    const name = checkName(value, FIELD);
    assert.fail(`expected ${JSON.stringify(value)} to be refused, got ${JSON.stringify(name)}`);
  } catch (problem) {
    if (typeof problem !== "string") throw problem;
    return problem;
  }
}

const LENGTH = "data.name must be 1 to 32 characters after trimming";
const CONTROL = (hex: string) => `data.name must not contain control characters (found U+${hex})`;
const FORMAT = (hex: string) =>
  `data.name must not contain invisible formatting characters (found U+${hex})`;
const SEPARATOR = (hex: string) =>
  `data.name must not contain line or paragraph separators (found U+${hex})`;
const SURROGATE = "data.name must not contain a lone UTF-16 surrogate (half of an emoji or symbol)";
const STACKED = "data.name must not stack more than 3 combining marks on one character";
const INVISIBLE = "data.name must contain at least one visible character";
const LEADING_MARK = "data.name must not start with a combining mark";
const RESERVED = 'data.name must not start with "guest-", which is kept for default names';

interface BadName {
  /** The bad input the case tries. */
  what: string;
  name: unknown;
  /** The whole message it must be refused with. */
  message: string;
}

const BAD_NAMES: BadName[] = [
  // ---- control characters (Cc); a trailing newline or tab is trimmed, so these sit inside
  { what: "BEL", name: "Ada\u0007", message: CONTROL("0007") },
  { what: "ESC (a terminal colour sequence)", name: "\u001b[31mAda", message: CONTROL("001B") },
  { what: "NUL", name: "Ada\u0000Lovelace", message: CONTROL("0000") },
  { what: "newline", name: "Ada\nLovelace", message: CONTROL("000A") },
  { what: "tab", name: "Ada\tLovelace", message: CONTROL("0009") },
  { what: "carriage return", name: "Ada\rLovelace", message: CONTROL("000D") },
  { what: "DEL", name: "Ada\u007f", message: CONTROL("007F") },
  { what: "C1 control U+009B (CSI)", name: "Ada\u009b", message: CONTROL("009B") },
  // ---- format characters (Cf)
  { what: "U+202E right-to-left override", name: "Ada\u202Eecalevol", message: FORMAT("202E") },
  { what: "U+202A left-to-right embedding", name: "\u202AAda", message: FORMAT("202A") },
  { what: "U+2066 left-to-right isolate", name: "Ada\u2066x", message: FORMAT("2066") },
  { what: "U+2069 pop directional isolate", name: "Ada\u2069", message: FORMAT("2069") },
  { what: "U+200E left-to-right mark", name: "Ada\u200E", message: FORMAT("200E") },
  { what: "U+200F right-to-left mark", name: "\u200FAda", message: FORMAT("200F") },
  { what: "U+200B-only", name: "\u200B", message: FORMAT("200B") },
  { what: "U+200B inside", name: "A\u200Bda", message: FORMAT("200B") },
  { what: "U+200D zero-width joiner", name: "Ada\u200DLove", message: FORMAT("200D") },
  { what: "U+FEFF inside", name: "Ada\uFEFFLovelace", message: FORMAT("FEFF") },
  { what: "U+00AD soft hyphen", name: "Ada\u00ADLovelace", message: FORMAT("00AD") },
  { what: "U+E0041 tag character", name: "Ada\u{E0041}", message: FORMAT("E0041") },
  // ---- line and paragraph separators (Zl, Zp)
  { what: "U+2028 line separator", name: "Ada\u2028Lovelace", message: SEPARATOR("2028") },
  { what: "U+2029 paragraph separator", name: "Ada\u2029Lovelace", message: SEPARATOR("2029") },
  // ---- ill-formed UTF-16
  { what: "lone high surrogate", name: "Ada\uD83D", message: SURROGATE },
  { what: "lone low surrogate", name: "\uDE00Ada", message: SURROGATE },
  { what: "low surrogate before high", name: "Ada\uDE00\uD83D", message: SURROGATE },
  // ---- stacked combining marks ("Zalgo")
  {
    what: "5 stacked combining marks",
    name: "Zal\u0316\u0317\u0318\u0319\u031Cgo",
    message: STACKED,
  },
  { what: "4 stacked combining marks", name: "x\u0300\u0301\u0302\u0303", message: STACKED },
  {
    what: "4 marks that NFC cannot fold, after a precomposed é",
    name: "e\u0301\u0316\u0317\u0318\u0319",
    message: STACKED,
  },
  // ---- nothing visible
  { what: "NBSP-only", name: "\u00A0\u00A0", message: LENGTH },
  { what: "U+FEFF-only (trimmed away)", name: "\uFEFF", message: LENGTH },
  { what: "ideographic spaces only", name: "\u3000\u3000", message: LENGTH },
  { what: "a combining accent alone", name: "\u0301", message: INVISIBLE },
  { what: "variation selector only", name: "\uFE0F", message: INVISIBLE },
  { what: "Hangul filler only", name: "\u3164\u3164", message: INVISIBLE },
  { what: "Braille blank only", name: "\u2800", message: INVISIBLE },
  { what: "a Hangul filler between spaces", name: " \u3164 ", message: INVISIBLE },
  { what: "a combining accent leading a name", name: "\u0301Ada", message: LEADING_MARK },
  // ---- the default names' prefix
  { what: "guest-abc123", name: "guest-abc123", message: RESERVED },
  { what: "GUEST-x", name: "GUEST-x", message: RESERVED },
  { what: "Guest- after trimming", name: "  Guest-Ada ", message: RESERVED },
  { what: "fullwidth ｇｕｅｓｔ－ (NFKC folds it)", name: "ｇｕｅｓｔ－x", message: RESERVED },
  { what: "guest- alone", name: "guest-", message: RESERVED },
  // ---- the checks that were there before
  { what: "a number", name: 7, message: "data.name must be a string" },
  { what: "an empty name", name: "", message: LENGTH },
  { what: "33 characters", name: "n".repeat(33), message: LENGTH },
];

Deno.test("bad names are refused with a message naming the field and the reason", async (t) => {
  for (const bad of BAD_NAMES) {
    await t.step(bad.what, () => assert.equal(refusal(bad.name), bad.message));
  }
});

interface GoodName {
  what: string;
  name: string;
  /** What the name becomes: NFC, trimmed. */
  stored: string;
}

const GOOD_NAMES: GoodName[] = [
  { what: "plain ASCII", name: "Ada", stored: "Ada" },
  {
    what: "inner spaces, outer trimmed",
    name: "  Ada  King Lovelace \n",
    stored: "Ada  King Lovelace",
  },
  { what: "accents in NFD become NFC", name: "Rene\u0301e Zoe\u0308", stored: "Renée Zoë" },
  { what: "accents already in NFC", name: "Renée Zoë", stored: "Renée Zoë" },
  { what: "emoji", name: "Ada \u{1F680}\u{1F600}", stored: "Ada \u{1F680}\u{1F600}" },
  { what: "an emoji with skin tone", name: "\u{1F44B}\u{1F3FD}", stored: "\u{1F44B}\u{1F3FD}" },
  { what: "a flag", name: "\u{1F1EB}\u{1F1F7}", stored: "\u{1F1EB}\u{1F1F7}" },
  { what: "a keycap (two marks)", name: "#\uFE0F\u20E3", stored: "#\uFE0F\u20E3" },
  { what: "CJK", name: "山田太郎", stored: "山田太郎" },
  { what: "Hangul in NFD becomes NFC", name: "\u1112\u1161\u11AB", stored: "한" },
  { what: "a single combining accent NFC cannot fold", name: "q\u0301", stored: "q\u0301" },
  {
    what: "3 stacked marks (pointed Hebrew: shin, qamats, dagesh, shin dot)",
    name: "\u05E9\u05B8\u05BC\u05C1",
    stored: "\u05E9\u05B8\u05BC\u05C1",
  },
  { what: "3 stacked marks (Tibetan: sa, ga and ra subjoined, u)", name: "སྒྲུབ", stored: "སྒྲུབ" },
  { what: "Thai vowel and tone mark", name: "ที่นี่", stored: "ที่นี่" },
  { what: "Devanagari", name: "हिन्दी", stored: "हिन्दी" },
  { what: "Arabic", name: "عائشة", stored: "عائشة" },
  { what: "a Hangul filler beside a letter", name: "A\u3164B", stored: "A\u3164B" },
  { what: '"guest" without the dash', name: "guest", stored: "guest" },
  { what: '"guest-" not at the start', name: "my guest-name", stored: "my guest-name" },
  {
    what: "a name longer than 32 in NFD, 32 in NFC",
    name: "e\u0301".repeat(32),
    stored: "é".repeat(32),
  },
  { what: "the longest", name: "n".repeat(32), stored: "n".repeat(32) },
];

Deno.test("real names pass, normalized to NFC and trimmed", async (t) => {
  for (const good of GOOD_NAMES) {
    await t.step(good.what, () => assert.equal(checkName(good.name, FIELD), good.stored));
  }
});

Deno.test("the Zalgo cap is 3 marks in a row, not 3 per name", () => {
  assert.equal(MAX_COMBINING_RUN, 3);
  const three = "a\u0316\u0317\u0318";
  assert.equal(checkName(three + "b\u0316\u0317\u0318", FIELD), three + "b\u0316\u0317\u0318");
  assert.equal(refusal(three + "\u0319"), STACKED);
});

Deno.test("every default name carries the reserved prefix, so set_name cannot copy one", () => {
  for (const id of ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "01J00000000000000000ABCDEF"]) {
    const name = defaultName(id);
    assert.ok(name.startsWith(RESERVED_NAME_PREFIX), name);
    assert.ok(name.length <= LIMITS.maxNameLength, name);
    assert.equal(refusal(name), RESERVED);
  }
});

Deno.test("set_name frames go through the name rules", () => {
  assert.deepEqual(parseFrame('{"type":"set_name","id":1,"data":{"name":"Zoe\\u0308"}}'), {
    ok: true,
    request: { type: "set_name", id: 1, data: { name: "Zoë" } },
  });
  assert.deepEqual(parseFrame('{"type":"set_name","id":2,"data":{"name":"Ada\\u202e"}}'), {
    ok: false,
    rejection: { id: 2, code: "bad_request", message: FORMAT("202E") },
  });
  assert.deepEqual(parseFrame('{"type":"set_name","id":3,"data":{"name":"guest-abc123"}}'), {
    ok: false,
    rejection: { id: 3, code: "bad_request", message: RESERVED },
  });
});
