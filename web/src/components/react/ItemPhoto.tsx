// An item's photo in the item dialog: the sizes the media API keeps (`srcset`), the dialog's
// width as `sizes`, and its box reserved so the sheet does not jump when the picture arrives.
import { photo, type ImageSource } from '../../lib/photos';

export default function ItemPhoto(props: { src: string; srcset?: ImageSource[] | null; alt: string }) {
  const p = photo(props.src, props.srcset);
  return (
    <img className="photo" src={p.src} srcSet={p.srcset} sizes="(min-width: 34rem) 32rem, 100vw" alt={props.alt}
      width={p.width} height={p.height} decoding="async" />
  );
}
