// Draws the demo menu's photos: one flat illustration per item and combo, made here from SVG
// shapes (no stock photos, nothing from elsewhere: the pictures are the project's own, under
// the project's licence), rendered to WebP at 320 and 640 pixels wide (4:3) for `srcset`.
//
//   node scripts/draw-demo-photos.mjs      (from web/; writes crates/catalog/seed/photos/)
//
// The seed (crates/catalog/src/seed.rs) attaches each drawing to its item by SKU through the
// media of the import document; `photos.rs` beside it lists the files and is written here too.
import sharp from 'sharp';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = resolve(ROOT, 'crates/catalog/seed/photos');
const menu = JSON.parse(readFileSync(resolve(ROOT, 'crates/catalog/seed/demo-menu.json'), 'utf8'));

// A small seeded random, so a re-run draws the same pictures (and the same hashes).
function rng(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return () => {
    h = Math.imul(h ^ (h >>> 15), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return ((h ^= h >>> 16) >>> 0) / 4294967296;
  };
}

const C = {
  bun: '#e0a458', bunDark: '#c17f3a', seed: '#fff4dc', lettuce: '#6fbf4a', cheese: '#f7c531', patty: '#6b3a23',
  chicken: '#d99a4e', tomato: '#e2483d', onion: '#f3e6f5', plate: '#ffffff', plateRim: '#ece6da', board: '#b9804f',
  bread: '#efc98a', breadDark: '#d9a35f', cream: '#fbf3e4', green: '#4e9a3a', mint: '#7ccf8a', olive: '#5f6b2b',
  sauce: '#c8372d', egg: '#fffaf0', yolk: '#f6b21a', fries: '#f4c542', chickpea: '#d8b26e', brown: '#8a5a35',
  coffee: '#5a3520', milk: '#f1e3cf', tea: '#b5652b', glass: '#dcefff', orange: '#f59e0b', mango: '#fbbf24',
  pistachio: '#8fbf5a', syrup: '#e7a33e', chocolate: '#4a2a1a', paper: '#f6efe2', red: '#d62828',
};

const bgs = ['#fde7d2', '#f9e3c8', '#fbe9e0', '#e9f2df', '#fff1cc', '#f3e4f1', '#e3eef7', '#f6e6d6'];

const plate = (cx = 320, cy = 300, rx = 230, ry = 120) =>
  `<ellipse cx="${cx}" cy="${cy + 14}" rx="${rx + 6}" ry="${ry + 4}" fill="#000" opacity=".08"/>` +
  `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="${C.plateRim}"/><ellipse cx="${cx}" cy="${cy - 4}" rx="${rx - 28}" ry="${ry - 18}" fill="${C.plate}"/>`;
const board = () => `<rect x="70" y="250" width="500" height="150" rx="26" fill="${C.board}"/><rect x="70" y="250" width="500" height="20" rx="10" fill="#fff" opacity=".15"/><circle cx="540" cy="325" r="9" fill="#7a4e2b"/>`;
const steam = (x, y) =>
  [0, 1, 2].map((i) => `<path d="M${x + i * 34} ${y} c-14 -22 14 -34 0 -58 c-10 -18 8 -30 2 -44" stroke="#fff" stroke-width="9" fill="none" stroke-linecap="round" opacity=".8"/>`).join('');
const dots = (r, n, color, box, size = [5, 9]) =>
  Array.from({ length: n }, () => `<circle cx="${box[0] + r() * box[2]}" cy="${box[1] + r() * box[3]}" r="${size[0] + r() * (size[1] - size[0])}" fill="${color}"/>`).join('');

function burger(r, o = {}) {
  const patty = o.patty ?? C.patty;
  const layers = o.double ? 2 : 1;
  let y = 330;
  let s = plate(320, 360, 250, 90);
  s += `<path d="M150 ${y} h340 a22 22 0 0 1 -22 34 h-296 a22 22 0 0 1 -22 -34z" fill="${C.bunDark}"/>`;
  for (let i = 0; i < layers; i++) {
    y -= 34;
    s += `<rect x="160" y="${y}" width="320" height="40" rx="20" fill="${patty}"/>`;
    s += `<path d="M165 ${y + 4} l40 34 l40 -30 l40 34 l40 -30 l40 34 l40 -30 l40 34 l30 -34z" fill="${C.cheese}"/>`;
  }
  if (o.veg) s += dots(r, 10, o.veg, [170, y - 10, 300, 20], [10, 16]);
  s += `<path d="M140 ${y} q30 -26 60 -8 q30 -22 60 -4 q30 -22 60 -4 q30 -22 60 -4 q30 -22 60 -4 q30 -18 40 20 z" fill="${C.lettuce}"/>`;
  s += `<rect x="170" y="${y - 24}" width="300" height="16" rx="8" fill="${C.tomato}"/>`;
  s += `<path d="M150 ${y - 22} q0 -140 170 -140 q170 0 170 140 z" fill="${C.bun}"/>`;
  s += `<path d="M190 ${y - 60} q20 -70 110 -84" stroke="#fff" stroke-width="14" opacity=".25" fill="none" stroke-linecap="round"/>`;
  s += Array.from({ length: 14 }, () => `<ellipse cx="${200 + r() * 240}" cy="${y - 120 + r() * 80}" rx="7" ry="4" transform="rotate(${r() * 180} ${200 + r() * 240} ${y - 90})" fill="${C.seed}"/>`).join('');
  return s;
}

function wrap(r, o = {}) {
  let s = plate(320, 330, 240, 100);
  s += `<g transform="rotate(-18 320 250)">`;
  s += `<path d="M220 150 q100 -40 200 0 l-40 230 q-60 20 -120 0 z" fill="${C.bread}"/>`;
  s += `<path d="M228 156 q92 -30 184 0 l-8 40 q-84 -26 -168 0 z" fill="${o.filling ?? C.chicken}"/>`;
  s += dots(r, 8, C.lettuce, [240, 140, 160, 30], [6, 10]) + dots(r, 5, C.tomato, [240, 146, 160, 20], [6, 9]);
  s += `<path d="M236 230 q84 20 168 0 l-24 150 q-60 20 -120 0 z" fill="${o.paper ?? C.paper}"/>`;
  s += `<path d="M236 230 q84 20 168 0" stroke="${o.stripe ?? C.red}" stroke-width="10" fill="none"/>`;
  s += `</g>`;
  if (o.spicy) s += chili(470, 330);
  return s;
}

function chili(x, y) {
  return `<path d="M${x} ${y} q50 -10 70 -60 q6 -8 12 0 q-10 70 -80 72 z" fill="${C.red}"/><path d="M${x + 80} ${y - 62} q4 -16 14 -20" stroke="${C.green}" stroke-width="8" fill="none" stroke-linecap="round"/>`;
}

function platter(r, o = {}) {
  let s = plate(320, 290, 250, 130);
  if (o.rice) s += `<ellipse cx="260" cy="285" rx="110" ry="62" fill="#f7ecd0"/>` + dots(r, 40, '#fffaf0', [170, 245, 180, 80], [4, 7]);
  const meat = o.meat ?? C.chicken;
  for (let i = 0; i < (o.pieces ?? 9); i++) {
    const x = 300 + r() * 140, y = 230 + r() * 100;
    s += `<rect x="${x}" y="${y}" width="${50 + r() * 30}" height="${18 + r() * 8}" rx="9" transform="rotate(${r() * 60 - 30} ${x} ${y})" fill="${meat}"/>`;
  }
  if (o.fries) for (let i = 0; i < 10; i++) s += `<rect x="${160 + r() * 90}" y="${300 + r() * 40}" width="${60}" height="12" rx="5" transform="rotate(${r() * 50 - 25} 200 320)" fill="${C.fries}"/>`;
  s += dots(r, 6, C.lettuce, [170, 220, 300, 40], [8, 12]) + dots(r, 5, C.tomato, [180, 300, 300, 50], [9, 13]);
  return s;
}

function skewers(r, o = {}) {
  let s = board();
  const meat = o.meat ?? C.brown;
  for (let k = 0; k < (o.count ?? 3); k++) {
    const y = 200 + k * 48;
    s += `<rect x="90" y="${y + 14}" width="460" height="6" rx="3" fill="#9ca3af"/>`;
    for (let i = 0; i < 6; i++) {
      const x = 130 + i * 66;
      const veg = o.veg && i % 2 === 1;
      s += veg
        ? `<rect x="${x}" y="${y - 4}" width="46" height="42" rx="10" fill="${[C.tomato, C.green, C.onion][i % 3]}"/>`
        : o.kebab ? `<rect x="${x - 4}" y="${y}" width="62" height="34" rx="17" fill="${meat}"/>` : `<rect x="${x}" y="${y - 6}" width="50" height="46" rx="12" fill="${meat}"/>`;
    }
  }
  return s;
}

function chops(r) {
  let s = board();
  for (let i = 0; i < 4; i++) {
    const x = 150 + i * 95, y = 230 + (i % 2) * 30;
    s += `<path d="M${x} ${y} q50 -40 80 10 q10 40 -40 60 q-50 10 -40 -70z" fill="${C.patty}"/><rect x="${x + 60}" y="${y - 40}" width="12" height="70" rx="6" transform="rotate(30 ${x + 60} ${y})" fill="${C.cream}"/>`;
  }
  return s + dots(r, 8, C.green, [140, 300, 360, 40], [5, 8]);
}

function roastChicken(r) {
  let s = plate(320, 300, 240, 120);
  s += `<path d="M200 300 q10 -120 140 -120 q120 0 110 110 q-20 60 -130 60 q-110 0 -120 -50z" fill="${C.chicken}"/>`;
  s += `<path d="M230 270 q40 -60 120 -70" stroke="#b8742f" stroke-width="10" fill="none" opacity=".6"/>`;
  return s + dots(r, 6, C.lettuce, [180, 320, 280, 30], [8, 12]) + `<path d="M430 320 l60 -20 l-10 40z" fill="#f5e663"/>`;
}

function broasted(r, o = {}) {
  let s = `<path d="M170 200 h300 l-30 200 h-240z" fill="${o.box ?? C.red}"/><path d="M170 200 h300 v26 h-300z" fill="#fff" opacity=".25"/>`;
  for (let i = 0; i < (o.pieces ?? 5); i++) {
    const x = 190 + i * (260 / (o.pieces ?? 5)), y = 150 + (i % 2) * 20;
    s += o.strips
      ? `<rect x="${x}" y="${y - 20}" width="34" height="110" rx="16" transform="rotate(${r() * 30 - 15} ${x} ${y})" fill="${o.spicy ? '#c2541f' : C.chicken}"/>`
      : `<path d="M${x} ${y + 60} q-16 -70 30 -80 q46 10 26 80z" fill="${o.spicy ? '#c2541f' : C.chicken}"/><rect x="${x + 14}" y="${y + 54}" width="14" height="30" rx="6" fill="${C.cream}"/>`;
  }
  return `<ellipse cx="320" cy="410" rx="200" ry="18" fill="#000" opacity=".08"/>` + s;
}

function bowl(r, o = {}) {
  let s = `<ellipse cx="320" cy="400" rx="210" ry="20" fill="#000" opacity=".08"/>`;
  s += `<path d="M110 250 q210 240 420 0z" fill="${o.bowl ?? '#ffffff'}"/><ellipse cx="320" cy="250" rx="210" ry="56" fill="${o.bowlRim ?? '#f1ebe0'}"/>`;
  s += `<ellipse cx="320" cy="248" rx="186" ry="44" fill="${o.base ?? C.lettuce}"/>`;
  for (const [color, n, size] of o.toppings ?? []) s += dots(r, n, color, [160, 215, 320, 60], size);
  if (o.swirl) s += `<path d="M250 246 q70 -40 140 0 q-70 30 -140 0" stroke="${o.swirl}" stroke-width="10" fill="none" opacity=".8"/>`;
  return s;
}

function pan(r, o = {}) {
  let s = `<ellipse cx="320" cy="300" rx="220" ry="120" fill="#2f2f33"/><rect x="520" y="280" width="110" height="28" rx="12" fill="#2f2f33"/>`;
  s += `<ellipse cx="320" cy="294" rx="196" ry="102" fill="${o.sauce ?? C.sauce}"/>`;
  for (let i = 0; i < (o.eggs ?? 3); i++) {
    const x = 240 + i * 80, y = 280 + (i % 2) * 30;
    s += `<ellipse cx="${x}" cy="${y}" rx="44" ry="30" fill="${C.egg}"/><circle cx="${x + 4}" cy="${y - 2}" r="15" fill="${C.yolk}"/>`;
  }
  return s + dots(r, 12, C.green, [160, 220, 320, 130], [3, 6]);
}

function flatbread(r, o = {}) {
  let s = board();
  s += `<ellipse cx="320" cy="280" rx="200" ry="100" fill="${C.breadDark}"/><ellipse cx="320" cy="276" rx="184" ry="88" fill="${o.top ?? C.olive}"/>`;
  for (const [color, n, size] of o.toppings ?? []) s += dots(r, n, color, [170, 210, 300, 120], size);
  return s;
}

function pastries(r, o = {}) {
  let s = plate(320, 300, 240, 120);
  for (let i = 0; i < (o.count ?? 3); i++) {
    const x = 210 + i * (220 / Math.max(1, (o.count ?? 3) - 1)), y = 290;
    s += o.shape === 'croissant'
      ? `<path d="M${x - 90} ${y} q90 -120 180 0 q-30 30 -50 10 q-40 -50 -80 0 q-20 20 -50 -10z" fill="${C.bun}"/><path d="M${x - 40} ${y - 40} l20 40 M${x} ${y - 56} v44 M${x + 40} ${y - 40} l-20 40" stroke="${C.bunDark}" stroke-width="8"/>`
      : o.shape === 'balls'
        ? `<circle cx="${x + r() * 40}" cy="${y - r() * 40}" r="34" fill="${C.syrup}"/><circle cx="${x + 6}" cy="${y - 10}" r="10" fill="#fff" opacity=".4"/>`
        : `<path d="M${x - 50} ${y + 30} l50 -90 l50 90z" fill="${o.color ?? C.bread}" stroke="${C.breadDark}" stroke-width="6" stroke-linejoin="round"/>`;
  }
  if (o.drizzle) s += `<path d="M180 250 q40 -30 80 0 t80 0 t80 0 t80 0" stroke="${o.drizzle}" stroke-width="8" fill="none" stroke-linecap="round"/>`;
  return s;
}

function cup(r, o = {}) {
  let s = `<ellipse cx="320" cy="380" rx="190" ry="40" fill="${C.plateRim}"/><ellipse cx="320" cy="374" rx="150" ry="28" fill="#fff"/>`;
  if (o.glass) {
    s += `<path d="M250 170 h140 l-16 200 h-108z" fill="${C.glass}" opacity=".9"/><path d="M256 200 h128 l-13 166 h-102z" fill="${o.drink ?? C.tea}"/>`;
    if (o.mint) s += dots(r, 5, C.mint, [270, 200, 90, 40], [8, 12]);
  } else {
    s += `<path d="M200 200 h240 q0 170 -120 170 q-120 0 -120 -170z" fill="${o.cup ?? '#ffffff'}"/><path d="M436 230 q60 0 50 50 q-10 40 -60 40" stroke="${o.cup ?? '#ffffff'}" stroke-width="20" fill="none"/>`;
    s += `<ellipse cx="320" cy="204" rx="118" ry="22" fill="${o.drink ?? C.coffee}"/>`;
    if (o.foam) s += `<ellipse cx="320" cy="204" rx="90" ry="15" fill="${C.milk}"/><path d="M300 204 q20 -14 40 0 q-20 10 -40 0" fill="${o.drink ?? C.coffee}" opacity=".6"/>`;
  }
  if (o.dates) s += dots(r, 4, '#6b2f16', [470, 330, 80, 40], [12, 16]);
  return s + steam(280, 150);
}

function coldDrink(r, o = {}) {
  let s = `<ellipse cx="320" cy="400" rx="160" ry="18" fill="#000" opacity=".08"/>`;
  if (o.can) {
    s += `<rect x="250" y="130" width="140" height="270" rx="22" fill="${o.can}"/><rect x="262" y="122" width="116" height="18" rx="8" fill="#c9ced6"/>`;
    s += `<path d="M250 250 q70 -50 140 0 v30 q-70 -50 -140 0z" fill="${o.band ?? '#ffffff'}" opacity=".9"/>`;
  } else if (o.bottle) {
    s += `<path d="M290 110 h60 v40 q40 30 40 90 v150 q0 14 -14 14 h-112 q-14 0 -14 -14 v-150 q0 -60 40 -90z" fill="${o.bottle}" opacity=".85"/><rect x="288" y="92" width="64" height="24" rx="6" fill="${o.cap ?? '#1e3a8a'}"/>`;
    s += `<rect x="250" y="250" width="140" height="60" fill="${o.band ?? '#ffffff'}" opacity=".8"/>`;
  } else {
    s += `<path d="M240 140 h160 l-20 260 h-120z" fill="${C.glass}" opacity=".8"/><path d="M246 190 h148 l-16 206 h-116z" fill="${o.drink ?? C.orange}"/>`;
    s += `<rect x="330" y="80" width="14" height="160" rx="7" transform="rotate(14 330 80)" fill="${C.red}"/>`;
    if (o.ice) s += `<rect x="270" y="200" width="40" height="36" rx="8" fill="#fff" opacity=".5"/><rect x="320" y="220" width="40" height="36" rx="8" fill="#fff" opacity=".5"/>`;
    if (o.slice) s += `<circle cx="392" cy="150" r="34" fill="${o.slice}"/><circle cx="392" cy="150" r="24" fill="#fff" opacity=".35"/>`;
  }
  return s;
}

function fries(r, o = {}) {
  let s = `<ellipse cx="320" cy="410" rx="180" ry="16" fill="#000" opacity=".08"/>`;
  for (let i = 0; i < 18; i++) s += `<rect x="${220 + r() * 190}" y="${110 + r() * 60}" width="18" height="170" rx="6" transform="rotate(${r() * 24 - 12} 320 300)" fill="${o.spicy ? '#e58a2b' : C.fries}"/>`;
  if (o.cheese) s += `<path d="M220 200 q50 40 100 0 q50 40 100 0 v30 h-200z" fill="${C.cheese}"/>`;
  s += `<path d="M200 220 h240 l-24 190 h-192z" fill="${o.box ?? C.red}"/><path d="M250 280 q70 40 140 0" stroke="#fff" stroke-width="12" fill="none" opacity=".8"/>`;
  if (o.spicy) s += dots(r, 10, C.green, [230, 160, 180, 40], [4, 7]);
  return s;
}

function rings(r) {
  let s = plate(320, 300, 240, 120);
  for (let i = 0; i < 6; i++) {
    const x = 200 + (i % 3) * 120, y = 260 + Math.floor(i / 3) * 60;
    s += `<ellipse cx="${x}" cy="${y}" rx="58" ry="36" fill="none" stroke="${C.bun}" stroke-width="22"/>`;
  }
  return s;
}

function cake(r, o = {}) {
  let s = plate(320, 320, 230, 100);
  if (o.round) {
    s += `<ellipse cx="320" cy="300" rx="170" ry="70" fill="${o.color ?? C.orange}"/>` + dots(r, 30, o.top ?? C.pistachio, [190, 250, 260, 90], [4, 8]);
  } else if (o.fondant) {
    s += `<path d="M230 300 v-90 q90 -30 180 0 v90 q-90 30 -180 0z" fill="${C.chocolate}"/><ellipse cx="320" cy="212" rx="90" ry="22" fill="#6b3c25"/><path d="M320 320 q-10 40 -60 50 q40 6 90 -6z" fill="#3a1d10"/><circle cx="390" cy="220" r="14" fill="${C.red}"/>`;
  } else {
    s += `<path d="M190 320 l260 -40 l0 -90 l-260 40z" fill="${o.color ?? '#f3d19c'}"/><path d="M190 320 v-90 l260 -40" fill="none" stroke="${o.edge ?? '#7a3f1b'}" stroke-width="18" stroke-linejoin="round"/>`;
    if (o.drizzle) s += `<path d="M200 236 q60 -20 120 -16 t120 -28" stroke="${o.drizzle}" stroke-width="12" fill="none" stroke-linecap="round"/>`;
  }
  return s;
}

function sandwich(r, o = {}) {
  let s = board();
  s += `<path d="M120 300 q0 -60 60 -60 h280 q60 0 60 60z" fill="${o.bread ?? C.bun}"/>`;
  s += `<path d="M130 300 h380 q0 24 -24 24 h-332 q-24 0 -24 -24z" fill="${o.bread ?? C.bun}"/>`;
  s += `<path d="M130 296 q30 -24 60 0 t60 0 t60 0 t60 0 t60 0 t60 0" fill="${C.lettuce}"/>`;
  s += dots(r, 9, o.filling ?? C.chicken, [150, 282, 340, 16], [10, 14]) + dots(r, 4, C.tomato, [160, 286, 320, 10], [8, 10]);
  return s;
}

function dallah(r) {
  let s = `<ellipse cx="320" cy="400" rx="210" ry="18" fill="#000" opacity=".08"/>`;
  s += `<path d="M220 400 q-10 -110 40 -150 q-30 -30 0 -70 h80 q30 40 0 70 q50 40 40 150z" fill="#d4a017"/><path d="M340 260 q90 -40 120 -120" stroke="#d4a017" stroke-width="18" fill="none" stroke-linecap="round"/>`;
  s += `<path d="M250 400 h90" stroke="#a67c00" stroke-width="10"/><circle cx="300" cy="170" r="16" fill="#a67c00"/>`;
  s += `<path d="M420 340 h70 l-10 56 h-50z" fill="#fff"/><path d="M424 346 h62" stroke="${C.coffee}" stroke-width="8"/>`;
  return s + dots(r, 5, '#6b2f16', [140, 370, 60, 20], [12, 16]);
}

// Which drawing each item gets, by SKU prefix and then by name.
function draw(sku, key, name) {
  const r = rng(sku);
  const n = name.toLowerCase();
  const cat = sku.slice(0, 3);
  switch (cat) {
    case 'BRG':
      if (key === 'beef-patty') return platter(r, { meat: C.patty, pieces: 3 });
      return burger(r, {
        patty: /chicken/.test(n) ? C.chicken : /veggie/.test(n) ? '#7a9a3a' : C.patty,
        double: /double/.test(n), veg: /mushroom/.test(n) ? '#a8896a' : /jalape/.test(n) ? '#3f8f2f' : undefined,
      });
    case 'SHW':
      if (/plate|arabi/.test(n)) return platter(r, { meat: /beef/.test(n) ? '#8b4a2b' : C.chicken, fries: true, rice: /plate/.test(n) });
      return wrap(r, { filling: /beef/.test(n) ? '#8b4a2b' : C.chicken, spicy: /spicy/.test(n) });
    case 'GRL':
      if (/chops/.test(n)) return chops(r);
      if (/half/.test(n)) return roastChicken(r);
      if (/mixed/.test(n)) return skewers(r, { count: 3, veg: true, meat: '#8b4a2b' });
      return skewers(r, { count: 2, kebab: /kebab/.test(n), meat: /tawook/.test(n) ? C.chicken : '#8b4a2b', veg: /tikka/.test(n) });
    case 'BRS':
      return broasted(r, { pieces: /8|wings/.test(n) ? 6 : 4, spicy: /spicy/.test(n), strips: /strips/.test(n), box: /wings/.test(n) ? '#f59e0b' : C.red });
    case 'SAL':
      return bowl(r, {
        base: /tabbouleh/.test(n) ? C.green : /quinoa/.test(n) ? '#e8d8a8' : C.lettuce,
        toppings: /caesar/.test(n) ? [[C.bread, 8, [10, 14]], ['#fff', 10, [4, 7]]]
          : /greek/.test(n) ? [['#fff', 6, [12, 16]], ['#2d2d2d', 8, [6, 8]], [C.tomato, 6, [10, 13]]]
            : /quinoa/.test(n) ? [['#5b8c3a', 8, [12, 16]], [C.tomato, 5, [8, 10]]]
              : [[C.tomato, 10, [9, 13]], ['#bfe3a4', 8, [9, 12]], [C.bread, 5, [8, 12]]],
      });
    case 'SND':
      if (/wrap/.test(n)) return wrap(r, { filling: /crispy/.test(n) ? '#d18a3a' : C.chicken, stripe: '#166534' });
      return sandwich(r, { filling: /falafel/.test(n) ? '#7a5a2a' : /halloumi/.test(n) ? '#fff2cc' : /liver/.test(n) ? '#5a2a1a' : /philly/.test(n) ? '#8b4a2b' : C.chicken });
    case 'SID':
      if (/fries/.test(n)) return fries(r, { cheese: /cheese/.test(n), box: /family/.test(n) ? '#f59e0b' : C.red });
      if (/harra/.test(n)) return bowl(r, { base: '#e58a2b', toppings: [[C.green, 12, [4, 7]], [C.red, 6, [5, 8]]] });
      if (/rings/.test(n)) return rings(r);
      if (/hummus/.test(n)) return bowl(r, { base: '#e9d3a3', swirl: '#c9a35a', toppings: [[C.olive, 4, [5, 8]], [C.sauce, 6, [3, 5]]] });
      if (/falafel/.test(n)) return pastries(r, { count: 6, shape: 'balls' }).replaceAll(C.syrup, '#7a5a2a');
      if (/sambousek/.test(n)) return pastries(r, { count: 4, color: C.bun });
      if (/coleslaw/.test(n)) return bowl(r, { base: '#f4f1e6', toppings: [['#a7d18a', 14, [5, 9]], [C.orange, 10, [4, 6]]] });
      return bowl(r, { base: '#fbfbf5', swirl: '#e9e6d8', toppings: [] });
    case 'DES':
      if (/kunafa/.test(n)) return cake(r, { round: true, color: C.orange, top: C.pistachio });
      if (/umm ali/.test(n)) return bowl(r, { base: '#f1dcb0', bowl: '#b45309', bowlRim: '#92400e', toppings: [[C.pistachio, 10, [4, 7]], ['#fff', 6, [6, 9]]] });
      if (/luqaimat/.test(n)) return pastries(r, { count: 6, shape: 'balls', drizzle: '#7a3f1b' });
      if (/fondant/.test(n)) return cake(r, { fondant: true });
      if (/date/.test(n)) return cake(r, { color: '#8a4b22', edge: '#5a2a12', drizzle: C.syrup });
      return cake(r, { color: '#f5d9a0', edge: '#6b3a1a' });
    case 'HOT':
      if (/arabic coffee/.test(n)) return dallah(r);
      if (/karak|adeni/.test(n)) return cup(r, { glass: true, drink: /adeni/.test(n) ? '#c8874f' : '#c98a4a' });
      if (/mint/.test(n)) return cup(r, { glass: true, drink: '#b5652b', mint: true });
      if (/turkish/.test(n)) return cup(r, { drink: '#3b2314', cup: '#e0f2fe' });
      if (/chocolate/.test(n)) return cup(r, { drink: '#5b3520', foam: true, cup: '#fde68a' });
      return cup(r, { drink: /americano/.test(n) ? '#3b2314' : '#a0673d', foam: /cappuccino|latte/.test(n), cup: /spanish/.test(n) ? '#fecaca' : '#ffffff' });
    case 'CLD':
      if (/water/.test(n)) return coldDrink(r, { bottle: '#bfdbfe', cap: '#1d4ed8' });
      if (/1\.25/.test(n)) return coldDrink(r, { bottle: /7up/.test(n) ? '#86efac' : '#1e3a8a', cap: /7up/.test(n) ? '#15803d' : '#dc2626' });
      if (/pepsi/.test(n)) return coldDrink(r, { can: /diet/.test(n) ? '#9ca3af' : '#1e40af', band: '#dc2626' });
      if (/7up/.test(n)) return coldDrink(r, { can: '#16a34a', band: '#fef08a' });
      if (/mirinda/.test(n)) return coldDrink(r, { can: '#f97316', band: '#1e3a8a' });
      if (/laban/.test(n)) return coldDrink(r, { bottle: '#f8fafc', cap: '#16a34a', band: '#bbf7d0' });
      return coldDrink(r, {
        drink: /orange/.test(n) ? C.orange : /mango/.test(n) ? C.mango : /lemon/.test(n) ? '#a3e635' : '#c8a27a',
        ice: /iced|lemon/.test(n), slice: /orange/.test(n) ? C.orange : /lemon/.test(n) ? '#facc15' : undefined,
      });
    case 'BRK':
      if (/shakshuka/.test(n)) return pan(r);
      if (/foul/.test(n)) return bowl(r, { base: '#8a5a35', toppings: [[C.chickpea, 14, [6, 9]], [C.green, 8, [3, 5]], [C.tomato, 5, [6, 8]]] });
      if (/eggs/.test(n)) return pan(r, { sauce: '#f6e7c1', eggs: 2 });
      if (/masoub/.test(n)) return bowl(r, { base: '#d9a35f', bowl: '#fde68a', toppings: [['#f7c96b', 10, [10, 14]], [C.cream, 8, [6, 10]]] });
      if (/liver/.test(n)) return pan(r, { sauce: '#5a2a1a', eggs: 0 }).concat(dots(r, 14, '#7a3a22', [180, 230, 280, 120], [12, 18]));
      if (/balaleet/.test(n)) return bowl(r, { base: '#f7d774', toppings: [[C.egg, 3, [22, 28]], [C.yolk, 3, [8, 10]]] });
      if (/labneh/.test(n)) return bowl(r, { base: '#fbf7ee', swirl: '#7a8b2a', toppings: [[C.olive, 5, [7, 9]], [C.green, 4, [4, 6]]] });
      return platter(r, { meat: C.cream, pieces: 4, rice: false });
    case 'BAK':
      if (/croissant/.test(n)) return pastries(r, { count: 2, shape: 'croissant' });
      if (/fatayer/.test(n)) return pastries(r, { count: 3, color: /spinach/.test(n) ? '#d9b26b' : C.bread });
      if (/tamees/.test(n)) return flatbread(r, { top: C.bread, toppings: [['#fff2cc', 10, [12, 18]], [C.syrup, 8, [6, 10]]] });
      if (/lahm/.test(n)) return flatbread(r, { top: '#b4532a', toppings: [[C.tomato, 12, [6, 9]], [C.green, 6, [3, 5]]] });
      if (/muhammara/.test(n)) return flatbread(r, { top: '#c2410c', toppings: [['#7c2d12', 12, [4, 7]]] });
      if (/cheese/.test(n) && /zaatar/.test(n)) return flatbread(r, { top: C.olive, toppings: [['#fff6d5', 14, [12, 18]]] });
      if (/cheese/.test(n)) return flatbread(r, { top: '#fff1c1', toppings: [['#f7d774', 10, [10, 16]]] });
      return flatbread(r, { top: C.olive, toppings: [['#7a8b2a', 20, [3, 6]]] });
    case 'CMB':
      if (/burger/.test(n)) return burger(r, {}).concat(`<g transform="translate(330 60) scale(.5)">${fries(r)}</g>`);
      if (/shawarma/.test(n)) return wrap(r, {}).concat(`<g transform="translate(360 90) scale(.45)">${coldDrink(r, { can: '#1e40af', band: '#dc2626' })}</g>`);
      if (/broasted/.test(n)) return broasted(r, { pieces: 7 });
      return pan(r).concat(`<g transform="translate(400 40) scale(.4)">${cup(r, { glass: true, drink: '#c98a4a' })}</g>`);
  }
  return platter(r);
}

function svg(sku, key, name, i) {
  const bg = bgs[i % bgs.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 480" width="640" height="480">` +
    `<rect width="640" height="480" fill="${bg}"/><circle cx="560" cy="70" r="120" fill="#fff" opacity=".35"/><circle cx="60" cy="440" r="90" fill="#fff" opacity=".25"/>` +
    draw(sku, key, name) + `</svg>`;
}

const products = menu.categories.flatMap((c) => [...(c.items ?? []), ...(c.combos ?? [])]);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
let bytes = 0;
const rows = [];
for (const [i, p] of products.entries()) {
  const file = p.sku.toLowerCase();
  const image = Buffer.from(svg(p.sku, p.key, p.name, i));
  for (const w of [320, 640]) {
    const out = await sharp(image).resize(w, (w * 3) / 4).webp({ quality: 72, effort: 6 }).toBuffer();
    writeFileSync(resolve(OUT, `${file}-${w}.webp`), out);
    bytes += out.length;
  }
  // Written as rustfmt would, so `cargo fmt --check` passes on a fresh run.
  rows.push(
    `    (\n        "${p.sku}",\n        include_bytes!("../seed/photos/${file}-640.webp"),\n        include_bytes!("../seed/photos/${file}-320.webp"),\n    ),`,
  );
}
writeFileSync(
  resolve(ROOT, 'crates/catalog/src/photos.rs'),
  `//! The demo menu's photos: drawings made for the project (web/scripts/draw-demo-photos.mjs wrote\n` +
    `//! this file and the pictures), per SKU the 640- and the 320-pixel-wide WebP.\n\n` +
    `pub const PHOTOS: &[(&str, &[u8], &[u8])] = &[\n${rows.join('\n')}\n];\n`,
);
console.log(`${products.length} drawings, ${(bytes / 1024).toFixed(0)} KB in ${products.length * 2} files`);
