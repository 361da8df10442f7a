// An order's kitchen tickets on paper, for a kitchen without a display: each station's ticket
// with the order number, the table, every item in English and Arabic with its options, seat,
// course and note, printed through the browser's print dialog on the 80 mm roll.
import { useEffect, useRef, useState } from 'react';
import { api, type Ticket } from '../../../lib/api';
import { till } from '../../../stores/auth';
import { formatClock, type Lang } from '../../../i18n';
import { pos } from './strings';
import { messages } from '../DeviceGate';

export default function KitchenTickets({ lang, orderId, onClose }: { lang: Lang; orderId: string; onClose: () => void }) {
  const tr = pos(lang);
  const ref = useRef<HTMLDialogElement>(null);
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => {
    ref.current?.showModal();
    api<Ticket[]>(`/api/orders/${orderId}/kitchen-tickets`, { tokens: till }).then(setTickets, (e) =>
      setErrors(messages(e)),
    );
  }, [orderId]);

  return (
    <dialog ref={ref} className="till-dialog" aria-labelledby="kt-title" onClose={onClose} onCancel={onClose}>
      <h2 id="kt-title">{tr.kitchenTicket}</h2>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      <div className="till-receipt" data-testid="kitchen-tickets" lang="en" dir="ltr">
        {tickets?.map((t) => (
          <article key={t.id} className="till-ticket">
            <p className="till-receipt-pair"><strong>#{t.orderNumber} · {t.station}</strong><span>{t.table ? `T ${t.table}` : t.orderType}</span></p>
            <p>{formatClock('en', t.createdAt)}{t.rush ? ' · RUSH' : ''}</p>
            <ul>
              {t.items.map((i) => (
                <li key={i.id}>
                  {i.voided ? <s><strong>{i.quantity}× {i.name}</strong></s> : <strong>{i.quantity}× {i.name}</strong>}{i.nameAr ? <> · <span lang="ar" dir="rtl">{i.nameAr}</span></> : null}
                  {i.held && ' · HELD'}
                  {i.voided && ' · VOID · ملغى'}
                  {(i.seat || i.course) && <small> · {i.seat ? `S${i.seat}` : ''}{i.course ? ` C${i.course}` : ''}</small>}
                  {i.modifiers.length > 0 && <div><small>{i.modifiers.join(', ')}</small></div>}
                  {i.notes && <div><small>“{i.notes}”</small></div>}
                </li>
              ))}
            </ul>
            {t.orderNotes && <p><small>{t.orderNotes}</small></p>}
          </article>
        ))}
      </div>
      <p className="till-actions">
        <button type="button" className="btn" disabled={!tickets?.length} onClick={() => window.print()}>{tr.receipt.print}</button>
        <button type="button" className="btn secondary" onClick={() => ref.current?.close()}>{tr.tender.close}</button>
      </p>
    </dialog>
  );
}
