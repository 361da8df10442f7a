// Delivery address check against the branch's delivery zones
// (POST /api/branches/{id}/delivery-quote {lat, lng} → 200 {fee…} or 422 outside_delivery_zone).
import { useState } from 'react';
import { delivery } from '../../stores/cart';
import { api, ApiError } from '../../lib/api';
import { t, formatPrice, type Lang } from '../../i18n';

export default function DeliveryCheck({ lang, branchId, currency }: { lang: Lang; branchId: string; currency: string }) {
  const tr = t(lang);
  const [lat, setLat] = useState('');
  const [lng, setLng] = useState('');
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);

  async function check(e: React.FormEvent) {
    e.preventDefault();
    try {
      const q = await api<{ fee?: number; deliveryFee?: number }>(`/api/branches/${branchId}/delivery-quote`, {
        body: { lat: Number(lat), lng: Number(lng) },
      });
      const fee = q.fee ?? q.deliveryFee ?? 0;
      const r = { ok: true, message: tr.insideZone(formatPrice(lang, currency, fee)) };
      setResult(r);
      delivery.set({ ok: true, fee, message: r.message });
    } catch (err) {
      const outside = err instanceof ApiError && err.code === 'outside_delivery_zone';
      const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
      const message = outside ? tr.outsideZone : missing ? tr.deliveryUnavailable : err instanceof ApiError ? err.messages().join(' ') : String(err);
      setResult({ ok: false, message });
      delivery.set({ ok: false, message });
    }
  }

  return (
    <form className="card" onSubmit={check} aria-labelledby="addr-title">
      <h2 id="addr-title" style={{ marginBlockStart: 0 }}>{tr.deliveryAddress}</h2>
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '.5rem' }}>
        <div>
          <label htmlFor="addr-lat">{tr.latitude}</label>
          <input id="addr-lat" inputMode="decimal" required value={lat} onChange={(e) => setLat(e.target.value)} dir="ltr" />
        </div>
        <div>
          <label htmlFor="addr-lng">{tr.longitude}</label>
          <input id="addr-lng" inputMode="decimal" required value={lng} onChange={(e) => setLng(e.target.value)} dir="ltr" />
        </div>
      </div>
      <p><button type="submit" className="btn secondary">{tr.checkAddress}</button></p>
      {result && <p role="alert" className={result.ok ? 'ok' : 'error'} data-testid="delivery-result">{result.message}</p>}
    </form>
  );
}
