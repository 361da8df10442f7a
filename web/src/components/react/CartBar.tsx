// The cart bar of a phone: once something is in the order, a bar fixed to the bottom of the
// screen shows how many items and the total, and opens the cart. The cart comes after the menu
// on a phone, far down the page, so the bar stays out of the way while the cart itself is in
// view. On a wide screen the cart is a sticky column beside the menu and the bar is hidden (CSS).
import { useEffect, useState } from 'react';
import { t, type Lang } from '../../i18n';

export default function CartBar(props: { lang: Lang; count: number; total: string }) {
  const tr = t(props.lang);
  const [cartInView, setCartInView] = useState(false);

  useEffect(() => {
    const target = document.getElementById('cart');
    if (!target || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver(([e]) => setCartInView(!!e?.isIntersecting), { threshold: 0.15 });
    seen.observe(target);
    return () => seen.disconnect();
  }, []);

  function openCart() {
    document.getElementById('cart')?.scrollIntoView({ block: 'start' });
    document.getElementById('cart-title')?.focus({ preventScroll: true });
  }

  return (
    <div className="cart-bar" data-testid="cart-bar" hidden={cartInView}>
      <button type="button" className="btn" onClick={openCart}>
        <span data-testid="cart-bar-count">{tr.items(props.count)}</span>
        <span style={{ marginInline: 'auto' }}>{tr.viewCart}</span>
        <span data-testid="cart-bar-total">{props.total}</span>
      </button>
    </div>
  );
}
