// An item's photo (the media API's image), lazy unless the dialog opens on it, with a 4:3 box
// reserved so the sheet does not jump when it arrives.
export default function ItemPhoto(props: { src: string; alt: string; eager?: boolean }) {
  return (
    <img className="photo" src={props.src} alt={props.alt} width={640} height={480}
      loading={props.eager ? 'eager' : 'lazy'} decoding="async" />
  );
}
