// An item's photo as `<img>` attributes: the media API lists the image with its smaller copies
// (`imageSrcset`, narrowest first), so the browser picks the width the screen needs.
export interface ImageSource {
  url: string;
  width: number;
  height: number;
}

export interface Photo {
  src: string;
  srcset?: string;
  width: number;
  height: number;
}

/** The `src` (the narrowest copy, for browsers without `srcset`), `srcset` and the box of an
 *  image; without sizes from the API, the image alone in a 4:3 box. */
export function photo(url: string, sizes: ImageSource[] | null | undefined): Photo {
  const list = sizes ?? [];
  const largest = list[list.length - 1];
  if (!largest) return { src: url, width: 640, height: 480 };
  return {
    src: list[0]!.url,
    srcset: list.map((s) => `${s.url} ${s.width}w`).join(', '),
    width: largest.width,
    height: largest.height,
  };
}
