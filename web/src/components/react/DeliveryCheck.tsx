// The delivery address step: a street address, the point (from the browser's Geolocation API,
// or typed as latitude and longitude — no map tiles, nothing from another origin), checked
// against the branch's delivery zones (POST /api/branches/{id}/delivery-quote {lat, lng} → 200
// the zone's fee, minimum and ETA, or 422 outside_delivery_zone / branch_closed). The Cart
// island sends the accepted address with the checkout.
import { useState } from 'react';
import { delivery, type DeliveryAddress } from '../../stores/cart';
import { api, type Schemas } from '../../lib/api';
import { deliveryProblem } from '../../lib/delivery';
import { t, pick, formatPrice, formatNumber, type Lang } from '../../i18n';

type Quote = Schemas['Quote'];

export default function DeliveryCheck({ lang, branchId, currency }: { lang: Lang; branchId: string; currency: string }) {
  const tr = t(lang);
  const [street, setStreet] = useState('');
  const [notes, setNotes] = useState('');
  const [lat, setLat] = useState('');
  const [lng, setLng] = useState('');
  const [locating, setLocating] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  // Any change to the address makes the last check stale: no order goes out on it.
  function edit(set: (v: string) => void) {
    return (e: React.ChangeEvent<HTMLInputElement>) => {
      set(e.target.value);
      setResult(null);
      delivery.set(null);
    };
  }

  function locate() {
    if (!('geolocation' in navigator)) {
      setResult({ ok: false, message: tr.locationDenied });
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        setLat(pos.coords.latitude.toFixed(6));
        setLng(pos.coords.longitude.toFixed(6));
        setResult(null);
        delivery.set(null);
      },
      () => {
        setLocating(false);
        setResult({ ok: false, message: tr.locationDenied });
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 0 },
    );
  }

  async function check(e: React.FormEvent) {
    e.preventDefault();
    const to: DeliveryAddress = { address: street.trim(), lat: Number(lat), lng: Number(lng) };
    if (notes.trim()) to.notes = notes.trim();
    setBusy(true);
    try {
      const q = await api<Quote>(`/api/branches/${branchId}/delivery-quote`, { body: { lat: to.lat, lng: to.lng } });
      const money = (n: number) => formatPrice(lang, q.currency ?? currency, n);
      const message = tr.insideZone(pick(lang, q.name, q.nameAr), money(q.fee), money(q.minimumOrder), formatNumber(lang, q.etaMinutes));
      setResult({ ok: true, message });
      delivery.set({ ok: true, message, fee: q.fee, minimumOrder: q.minimumOrder, etaMinutes: q.etaMinutes, to });
    } catch (err) {
      const message = deliveryProblem(lang, err, currency);
      setResult({ ok: false, message });
      delivery.set({ ok: false, message });
    } finally {
      setBusy(false);
    }
  }

  const coord = { inputMode: 'decimal' as const, required: true, dir: 'ltr', pattern: '-?[0-9]+([.][0-9]+)?' };
  return (
    <form className="card" onSubmit={check} aria-labelledby="addr-title" data-testid="delivery-check">
      <h2 id="addr-title" style={{ marginBlockStart: 0 }}>{tr.deliveryAddress}</h2>
      <label htmlFor="addr-street">{tr.street}</label>
      <input id="addr-street" required maxLength={300} autoComplete="street-address" value={street} onChange={edit(setStreet)} />
      <label htmlFor="addr-notes">{tr.addressNotes}</label>
      <input id="addr-notes" maxLength={300} value={notes} onChange={edit(setNotes)} />
      <p>
        <button type="button" className="btn secondary" onClick={locate} disabled={locating} aria-busy={locating}>
          {locating ? tr.locating : tr.useMyLocation}
        </button>
      </p>
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '.5rem' }}>
        <div>
          <label htmlFor="addr-lat">{tr.latitude}</label>
          <input id="addr-lat" {...coord} value={lat} onChange={edit(setLat)} />
        </div>
        <div>
          <label htmlFor="addr-lng">{tr.longitude}</label>
          <input id="addr-lng" {...coord} value={lng} onChange={edit(setLng)} />
        </div>
      </div>
      <p><button type="submit" className="btn secondary" disabled={busy}>{tr.checkAddress}</button></p>
      {result && <p role="alert" className={result.ok ? 'ok' : 'error'} data-testid="delivery-result" data-ok={result.ok}>{result.message}</p>}
    </form>
  );
}
