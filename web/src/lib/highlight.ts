// Search highlights as text and marks, never as HTML. The search API sends each highlight as
// escaped text with <mark>…</mark> around the matches; the page builds text nodes and <mark>
// elements from it, so a catalog name such as `<img src=x onerror=…>` can only ever be text,
// whatever the server did or did not escape.

export interface Part {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the few character references an escaped text can hold; anything else stays as it is. */
export function unescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Splits a highlight into runs of plain and marked text. Only `<mark>` and `</mark>` are
 *  markup; any other tag-like text is kept, literally, as text. */
export function highlightParts(html: string): Part[] {
  const parts: Part[] = [];
  let mark = false;
  for (const piece of html.split(/(<\/?mark>)/i)) {
    const tag = piece.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (piece) {
      const text = unescape(piece);
      const last = parts[parts.length - 1];
      if (last && last.mark === mark) last.text += text;
      else parts.push({ text, mark });
    }
  }
  return parts;
}
