// A manager lays out an area of the floor on the till: drag a table to move it, pick one to
// change its size, shape, rotation, seats and area, add a table, then save the whole plan at once
// (`PUT /api/branches/{id}/floor-plan`: every table placed or none).
import { useRef, useState } from 'react';
import { api } from '../../../lib/api';
import { till } from '../../../stores/auth';
import type { Lang } from '../../../i18n';
import { pos } from './strings';
import { moved, planHeight, type FloorTable } from './floor-plan';
import { messages as msgs } from '../DeviceGate';

type Placed = Pick<FloorTable, 'id' | 'label' | 'floorArea' | 'seats' | 'x' | 'y' | 'width' | 'height' | 'shape' | 'rotation'>;

export default function FloorEditor({ lang, branchId, tables, area, onDone }: { lang: Lang; branchId: string; tables: FloorTable[]; area: string; onDone: () => void }) {
  const tr = pos(lang).floor;
  const [plan, setPlan] = useState<Placed[]>(() => tables.map(({ id, label, floorArea, seats, x, y, width, height, shape, rotation }) => ({ id, label, floorArea, seats, x, y, width, height, shape, rotation })));
  const [picked, setPicked] = useState<string | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [label, setLabel] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ id: string; x: number; y: number } | null>(null);

  const shown = plan.filter((t) => (t.floorArea ?? '') === area);
  const height = planHeight(shown);
  const table = plan.find((t) => t.id === picked) ?? null;
  const change = (id: string, c: Partial<Placed>) => setPlan((p) => p.map((t) => (t.id === id ? { ...t, ...c } : t)));

  function onPointerMove(e: React.PointerEvent) {
    const d = drag.current;
    const rect = box.current?.getBoundingClientRect();
    if (!d || !rect) return;
    // Screen pixels to plan units; in Arabic the plan is mirrored, so is the drag.
    const rtl = getComputedStyle(box.current!).direction === 'rtl';
    const dx = ((e.clientX - d.x) / rect.width) * 1000 * (rtl ? -1 : 1);
    const dy = ((e.clientY - d.y) / rect.height) * height;
    drag.current = { ...d, x: e.clientX, y: e.clientY };
    setPlan((p) => p.map((t) => (t.id === d.id ? moved(t, dx, dy) : t)));
  }

  async function add(e: React.FormEvent) {
    e.preventDefault();
    setErrors([]);
    try {
      const t = await api<Placed>(`/api/branches/${branchId}/dining-tables`, { body: { label: label.trim(), seats: 4, ...(area ? { floorArea: area } : {}) }, tokens: till });
      setPlan((p) => [...p, { ...t, floorArea: t.floorArea ?? null }]);
      setPicked(t.id);
      setLabel('');
    } catch (err) {
      setErrors(msgs(err));
    }
  }

  async function save() {
    setErrors([]);
    try {
      const body = plan.map(({ id, x, y, width, height: h, shape, rotation, seats, floorArea }) => ({ id, x, y, width, height: h, shape, rotation, seats, floorArea: floorArea || null }));
      await api(`/api/branches/${branchId}/floor-plan`, { method: 'PUT', body: { tables: body }, tokens: till });
      onDone();
    } catch (err) {
      setErrors(msgs(err));
    }
  }

  const num = (v: string, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(Number(v) || lo)));
  return (
    <div className="till-floor" data-testid="floor-editor">
      <p className="muted">{tr.dragHelp}</p>
      {errors.length > 0 && <div role="alert" className="error">{errors.map((m) => <p key={m}>{m}</p>)}</div>}
      <div ref={box} className="till-plan editing" style={{ aspectRatio: `1000 / ${height}` }} onPointerMove={onPointerMove}
        onPointerUp={() => (drag.current = null)} onPointerLeave={() => (drag.current = null)}>
        {shown.map((t) => (
          <button key={t.id} type="button" className={`till-table ${t.shape}`} aria-pressed={picked === t.id} data-table={t.label}
            onClick={() => setPicked(t.id)}
            onPointerDown={(e) => { drag.current = { id: t.id, x: e.clientX, y: e.clientY }; (e.target as HTMLElement).setPointerCapture?.(e.pointerId); }}
            style={{
              insetInlineStart: `${t.x / 10}%`, insetBlockStart: `${(t.y / height) * 100}%`,
              inlineSize: `${t.width / 10}%`, blockSize: `${(t.height / height) * 100}%`,
              transform: t.rotation ? `rotate(${t.rotation}deg)` : undefined, touchAction: 'none',
            }}>
            <strong>{t.label}</strong>
          </button>
        ))}
      </div>
      {table && (
        <fieldset className="till-row till-table-edit">
          <legend>{table.label}</legend>
          <span><label htmlFor="ed-w">{tr.width}</label><input id="ed-w" type="number" min={20} max={400} value={table.width} onChange={(e) => change(table.id, { width: num(e.target.value, 20, Math.min(400, 1000 - table.x)) })} /></span>
          <span><label htmlFor="ed-h">{tr.height}</label><input id="ed-h" type="number" min={20} max={400} value={table.height} onChange={(e) => change(table.id, { height: num(e.target.value, 20, Math.min(400, 1000 - table.y)) })} /></span>
          <span><label htmlFor="ed-seats">{tr.seats}</label><input id="ed-seats" type="number" min={1} max={100} value={table.seats} onChange={(e) => change(table.id, { seats: num(e.target.value, 1, 100) })} /></span>
          <span><label htmlFor="ed-rot">{tr.rotation}</label><input id="ed-rot" type="number" min={0} max={359} step={15} value={table.rotation} onChange={(e) => change(table.id, { rotation: num(e.target.value, 0, 359) })} /></span>
          <span><label htmlFor="ed-shape">{tr.shape}</label>
            <select id="ed-shape" value={table.shape} onChange={(e) => change(table.id, { shape: e.target.value as Placed['shape'] })}>
              <option value="rect">{tr.rect}</option><option value="round">{tr.round}</option>
            </select></span>
          <span><label htmlFor="ed-area">{tr.area}</label><input id="ed-area" maxLength={60} value={table.floorArea ?? ''} onChange={(e) => change(table.id, { floorArea: e.target.value || null })} /></span>
        </fieldset>
      )}
      <form className="till-row" onSubmit={add}>
        <span><label htmlFor="ed-new">{tr.label}</label><input id="ed-new" required maxLength={40} placeholder={tr.newLabel} value={label} onChange={(e) => setLabel(e.target.value)} /></span>
        <span><button type="submit" className="btn secondary">{tr.addTable}</button></span>
      </form>
      <p className="till-actions">
        <button type="button" className="btn" onClick={save}>{tr.save}</button>
        <button type="button" className="btn secondary" onClick={onDone}>{tr.cancel}</button>
      </p>
    </div>
  );
}
