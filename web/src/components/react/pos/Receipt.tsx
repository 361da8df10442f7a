// The 80 mm receipt, English and Arabic side by side, with the ZATCA QR code drawn here (uqr
// encodes it; no image service), printed through the browser's print dialog. Only the receipt
// prints: the print style sheet hides the till around it.
import { useEffect, useRef, useState } from 'react';
import { encode } from 'uqr';
import { api, type Schemas } from '../../../lib/api';
import { till } from '../../../stores/auth';
import { formatPrice, type Lang } from '../../../i18n';
import { pos } from './strings';
import { messages } from '../DeviceGate';

type ReceiptDoc = Schemas['Receipt'];

/** The QR code as SVG rectangles, one per dark module. */
export function QrCode({ text, label, size = 160 }: { text: string; label: string; size?: number }) {
  const qr = encode(text, { ecc: 'M', border: 2 });
  const n = qr.size;
  const cells: string[] = [];
  qr.data.forEach((row, y) => row.forEach((dark, x) => dark && cells.push(`M${x} ${y}h1v1h-1z`)));
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${n} ${n}`} width={size} height={size} shapeRendering="crispEdges" data-testid="receipt-qr">
      <rect width={n} height={n} fill="#fff" />
      <path d={cells.join('')} fill="#000" />
    </svg>
  );
}

export default function Receipt({ lang, orderId, onClose }: { lang: Lang; orderId: string; onClose: () => void }) {
  const tr = pos(lang).receipt;
  const ref = useRef<HTMLDialogElement>(null);
  const [doc, setDoc] = useState<ReceiptDoc | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => {
    ref.current?.showModal();
    api<ReceiptDoc>(`/api/orders/${orderId}/receipt`, { tokens: till }).then(setDoc, (e) =>
      setErrors(messages(e)),
    );
  }, [orderId]);

  // Both languages on one slip, as the receipt rules ask; amounts in Latin digits so both
  // columns read the same figure.
  const fmt = (n: number) => (doc ? formatPrice('en', doc.currency, n) : '');
  return (
    <dialog ref={ref} className="till-dialog till-receipt-dialog" aria-labelledby="receipt-title" onClose={onClose} onCancel={onClose}>
      <h2 id="receipt-title">{doc ? tr.title(String(doc.number)) : '…'}</h2>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      {doc && (
        <article className="till-receipt" data-testid="receipt" lang="en" dir="ltr">
          <header>
            <p className="till-receipt-pair"><strong>{doc.sellerName}</strong><strong lang="ar" dir="rtl">{doc.sellerNameAr ?? ''}</strong></p>
            <p className="till-receipt-pair"><span>{doc.branchName}</span><span lang="ar" dir="rtl">{doc.branchNameAr ?? ''}</span></p>
            {doc.vatNumber && <p className="till-receipt-pair"><span>VAT no. {doc.vatNumber}</span><span lang="ar" dir="rtl">الرقم الضريبي {doc.vatNumber}</span></p>}
            <p className="till-receipt-pair"><span>Simplified tax invoice</span><span lang="ar" dir="rtl">فاتورة ضريبية مبسطة</span></p>
            <p className="till-receipt-pair"><span>#{doc.number} · {doc.issuedLocal}</span></p>
          </header>
          <table>
            <tbody>
              {doc.lines.map((l, i) => (
                <tr key={i}>
                  <td>{l.quantity}×</td>
                  <td>{l.name}{l.nameAr ? <><br /><span lang="ar" dir="rtl">{l.nameAr}</span></> : null}
                    {l.details?.length ? <><br /><small>{l.details.join(', ')}</small></> : null}</td>
                  <td className="num">{fmt(l.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl>
            {doc.discountTotal > 0 && <Row en="Discount" ar="الخصم" value={`−${fmt(doc.discountTotal)}`} />}
            {doc.serviceCharge > 0 && <Row en="Service charge" ar="رسوم الخدمة" value={fmt(doc.serviceCharge)} />}
            {doc.deliveryFee > 0 && <Row en="Delivery" ar="التوصيل" value={fmt(doc.deliveryFee)} />}
            <Row en="Total excl. VAT" ar="الإجمالي دون الضريبة" value={fmt(doc.netOfVat)} />
            <Row en={`VAT ${doc.vatRateBp / 100}%`} ar={`ضريبة القيمة المضافة ${doc.vatRateBp / 100}٪`} value={fmt(doc.vat)} />
            <Row en="Total" ar="الإجمالي" value={fmt(doc.invoiceTotal)} strong />
            {doc.tip > 0 && <Row en="Tip" ar="الإكرامية" value={fmt(doc.tip)} />}
            <Row en="Paid" ar="المدفوع" value={fmt(doc.paid)} />
            {doc.changeGiven > 0 && <Row en="Change" ar="الباقي" value={fmt(doc.changeGiven)} />}
          </dl>
          {doc.qrPayload && <p className="till-receipt-qr"><QrCode text={doc.qrPayload} label={tr.qr} /></p>}
        </article>
      )}
      <p className="till-actions">
        <button type="button" className="btn" disabled={!doc} onClick={() => window.print()}>{tr.print}</button>
        <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{tr.close}</button>
      </p>
    </dialog>
  );
}

function Row({ en, ar, value, strong }: { en: string; ar: string; value: string; strong?: boolean }) {
  return (
    <div className={strong ? 'till-receipt-total' : undefined}>
      <dt><span>{en}</span> <span lang="ar" dir="rtl">{ar}</span></dt>
      <dd className="num">{value}</dd>
    </div>
  );
}
