// The two languages of every page. `/en/…` and `/ar/…`; Arabic pages are right-to-left.
export const LANGS = ['en', 'ar'] as const;
export type Lang = (typeof LANGS)[number];

export function isLang(v: unknown): v is Lang {
  return v === 'en' || v === 'ar';
}

export function dir(lang: Lang): 'ltr' | 'rtl' {
  return lang === 'ar' ? 'rtl' : 'ltr';
}

/** Locale for Intl: Arabic with Latin digits would be `ar-u-nu-latn`; we keep Arabic-Indic
 *  digits, which guests in the Gulf read on receipts and menus alike. */
export function locale(lang: Lang): string {
  return lang === 'ar' ? 'ar-SA' : 'en-SA';
}

// Intl formatters are costly to build (locale data look-ups); each one is built once and reused,
// which keeps a server-rendered menu page to a few milliseconds.
const formatters = new Map<string, Intl.NumberFormat>();

export function numberFormat(loc: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${loc}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(loc, options);
    formatters.set(key, f);
  }
  return f;
}

/** Decimals of a currency, as ISO 4217 has them (and the API's `minorUnits`): 2 for SAR, AED
 *  and QAR, 3 for BHD, KWD and OMR. */
export function minorUnits(currency: string): number {
  try {
    return numberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Money is integer minor units of its currency: 1250 is SAR 12.50 but BHD 1.250. */
export function formatPrice(lang: Lang, currency: string, minor: number, digits = minorUnits(currency)): string {
  return numberFormat(locale(lang), {
    style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(minor / 10 ** digits);
}

/** An amount typed at a till ("12.5") in minor units of the currency (0 when it is not one). */
export function toMinor(currency: string, typed: string): number {
  return Math.round(Number(typed.replace(',', '.')) * 10 ** minorUnits(currency)) || 0;
}

/** Minor units as a till's input shows them: "12.50", "1.250". */
export function toMajor(currency: string, minor: number): string {
  const digits = minorUnits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

export function formatNumber(lang: Lang, n: number): string {
  return numberFormat(locale(lang)).format(n);
}

const plurals = new Map<string, Intl.PluralRules>();

/** The plural category of a count in a language (Arabic has six: zero, one, two, few, many,
 *  other), so each sentence can pick its own form. */
export function plural(lang: Lang, n: number): Intl.LDMLPluralRule {
  let r = plurals.get(lang);
  if (!r) {
    r = new Intl.PluralRules(locale(lang));
    plurals.set(lang, r);
  }
  return r.select(n);
}

/** A time of day in the page's language (the guest's own time zone). */
export function formatClock(lang: Lang, iso: string): string {
  return new Intl.DateTimeFormat(locale(lang), { hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** "m:ss" with the language's digits. */
export function formatDuration(lang: Lang, seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = numberFormat(locale(lang), { minimumIntegerDigits: 2 });
  return `${numberFormat(locale(lang)).format(Math.floor(s / 60))}:${two.format(s % 60)}`;
}

/** The name in the page's language, falling back to English when there is no Arabic. */
/** What separates the parts of a line of text. A middle dot beside Arabic-Indic digits reads
 *  as a zero (٠), so "#٢ · ١٨٫٠٠" would read "#٢٠ ١٨٫٠٠": Arabic takes its own comma. */
export function sep(lang: Lang): string {
  return lang === 'ar' ? '، ' : ' · ';
}

export function pick(lang: Lang, en: string, ar?: string | null): string {
  return lang === 'ar' && ar ? ar : en;
}

const en = {
  brandTagline: 'Order at the table, for pickup or delivery',
  menu: 'Menu',
  order: 'Order online',
  kitchen: 'Kitchen display',
  branches: 'Our branches',
  openNow: 'Open now',
  closedNow: 'Closed now',
  hours: 'Opening hours',
  language: 'العربية',
  search: 'Search the menu',
  searchPlaceholder: 'Search dishes, e.g. shawarma',
  noResults: 'Nothing matches your search.',
  searching: 'Searching…',
  results: (n: number) => `${formatNumber('en', n)} ${plural('en', n) === 'one' ? 'result' : 'results'}`,
  add: 'Add',
  close: 'Close',
  items: (n: number) => `${formatNumber('en', n)} ${plural('en', n) === 'one' ? 'item' : 'items'}`,
  viewCart: 'View order',
  more: (name: string) => `One more: ${name}`,
  less: (name: string) => `One less: ${name}`,
  quantityOf: (name: string) => `Quantity of ${name}`,
  belowMinimumBy: (missing: string, minimum: string) => `Add ${missing} more to reach the delivery minimum of ${minimum}.`,
  servedAt: (menu: string, spans: string) => `${menu} ${spans}`,
  notServedNow: 'Not served now',
  photoOf: (name: string) => name,
  addToCart: 'Add to order',
  cancel: 'Cancel',
  required: 'Required',
  optional: 'Optional',
  chooseExactly: (n: number, g: string) => `Choose ${n} for “${g}”.`,
  chooseAtLeast: (n: number, g: string) => `Choose at least ${n} for “${g}”.`,
  chooseAtMost: (n: number, g: string) => `Choose at most ${n} for “${g}”.`,
  upTo: (n: number) => `up to ${n}`,
  quantity: 'Quantity',
  notes: 'Notes for the kitchen',
  soldOut: 'Sold out',
  calories: (n: string) => `${n} kcal`,
  allergens: 'Allergens',
  cart: 'Your table’s order',
  webCart: 'Your order',
  emptyCart: 'Nothing in the order yet.',
  addedBy: (n: string) => `added by ${n}`,
  you: 'you',
  remove: 'Remove',
  subtotal: 'Items',
  vat: 'VAT included',
  tip: 'Tip',
  noTip: 'No tip',
  total: 'Total',
  orderNotes: 'Notes for the order',
  contactPhone: 'Phone number (optional)',
  contactPhoneHint: 'So the restaurant can call you about this order. With the country code, e.g. +966 50 123 4567.',
  phoneToCall: 'Phone for this order',
  payAtCounter: 'Order and pay at the counter',
  payOnline: 'Order and pay online',
  placing: 'Placing your order…',
  table: (l: string) => `Table ${l}`,
  yourName: 'Your name (shown to your table)',
  join: 'Join the table',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  orderTitle: (n: string) => `Order #${n}`,
  status: {
    placed: 'Placed', accepted: 'Accepted', preparing: 'Preparing', ready: 'Ready',
    served: 'Served', picked_up: 'Picked up', out_for_delivery: 'Out for delivery',
    delivered: 'Delivered', closed: 'Closed', cancelled: 'Cancelled', voided: 'Voided',
  } as Record<string, string>,
  paid: 'Paid',
  due: 'To pay',
  payment: {
    pending: 'Confirming your payment…', succeeded: 'Payment received. Thank you!', declined: 'The payment was declined.',
    failed: 'The payment did not go through.', unknown: 'We are still confirming your payment.', reversed: 'The payment was given back.',
  } as Record<string, string>,
  payNow: 'Pay online now',
  backToMenu: 'Back to the menu',
  estimated: (m: string) => `Ready in about ${m} min`,
  notFound: 'Not found',
  tableNotFound: 'This table link is not valid any more. Ask the staff for a new QR code.',
  problem: 'Something went wrong',
  pickup: 'Pickup',
  delivery: 'Delivery',
  branch: 'Branch',
  deliveryAddress: 'Delivery address',
  latitude: 'Latitude',
  longitude: 'Longitude',
  checkAddress: 'Check address',
  outsideZone: 'Sorry, we do not deliver to this address.',
  insideZone: (zone: string, fee: string, minimum: string, eta: string) =>
    `We deliver here (${zone}). Delivery fee ${fee}, minimum order ${minimum}, about ${eta} min.`,
  deliveryUnavailable: 'Delivery cannot be checked right now; choose pickup.',
  street: 'Street address',
  addressNotes: 'Directions for the driver (optional)',
  useMyLocation: 'Use my location',
  locating: 'Finding your location…',
  locationDenied: 'Your location is not available; enter the latitude and longitude instead.',
  branchClosed: 'This branch is closed now and takes no delivery orders.',
  belowMinimum: (minimum: string) => `The minimum order for delivery here is ${minimum}.`,
  checkFirst: 'Check the delivery address first.',
  deliveryFee: 'Delivery',
  eta: (m: string) => `Estimated in about ${m} min`,
  queuePosition: (n: string) => `Number ${n} in the pickup line`,
  readyBy: (time: string, m: string) => `Should be ready by ${time} (about ${m} min)`,
  driver: (name: string) => `Your driver: ${name}`,
  driverAt: (lat: string, lng: string) => `Driver at ${lat}, ${lng}`,
  driverWaiting: 'A driver will be assigned soon.',
  handoverCode: 'Hand-over code (tell the driver)',
  deliverTo: 'Deliver to',
  signIn: 'Sign in',
  signUp: 'Create an account',
  signOut: 'Sign out',
  email: 'Email',
  password: 'Password',
  name: 'Name',
  continueAsGuest: 'Continue as a guest',
  signedInAs: (n: string) => `Signed in as ${n}`,
  kds: {
    title: 'Kitchen display',
    register: 'Register this tablet',
    registerHelp: 'A manager signs in once to register this screen to a branch.',
    deviceName: 'Screen name',
    pinTitle: 'Enter your PIN',
    whoTitle: 'Who is signing in?',
    noStaff: 'No staff with a PIN work at this branch yet.',
    notYou: 'Someone else',
    pinFor: (n: string) => `PIN for ${n}`,
    pin: 'PIN',
    signInPin: 'Sign in',
    clear: 'Clear',
    station: 'Station',
    allStations: 'All stations',
    allDay: 'All day',
    bump: 'Bump',
    recall: 'Recall last',
    rush: 'Rush',
    voided: 'VOID — do not make',
    unrush: 'Unrush',
    start: 'Start',
    noTickets: 'No open tickets.',
    held: 'Held',
    signOut: 'Sign out',
    fullscreen: 'Full screen',
    sound: 'Sound on',
    recallLate: (n: string) => `Recall ticket #${n}: its recall window has passed.`,
    recentlyBumped: 'Recently bumped',
    bumpedAgo: (d: string) => `bumped ${d} ago`,
    recallShort: 'Recall',
    recallTicket: (n: string) => `Recall ticket #${n}`,
    approval: {
      title: 'A manager must approve',
      help: 'A manager types their PIN for this one action. The screen stays signed in for the kitchen.',
      pinLabel: "Manager's PIN",
      approve: 'Approve',
      cancel: 'Cancel',
      wrongPin: "That PIN is not a manager's at this branch.",
      locked: (s: string) => `Too many wrong PINs. Try again in ${s} s.`,
    },
  },
};

type Strings = typeof en;

const ar: Strings = {
  brandTagline: 'اطلب من الطاولة أو للاستلام أو التوصيل',
  menu: 'القائمة',
  order: 'اطلب أونلاين',
  kitchen: 'شاشة المطبخ',
  branches: 'فروعنا',
  openNow: 'مفتوح الآن',
  closedNow: 'مغلق الآن',
  hours: 'ساعات العمل',
  language: 'English',
  search: 'ابحث في القائمة',
  searchPlaceholder: 'ابحث عن طبق، مثل شاورما',
  noResults: 'لا توجد نتائج مطابقة.',
  searching: 'جارٍ البحث…',
  // Arabic counts take six forms: نتيجة واحدة، نتيجتان، ٦ نتائج، ١١ نتيجة، ١٠٠ نتيجة.
  results: (n: number) =>
    ({ zero: 'لا نتائج', one: 'نتيجة واحدة', two: 'نتيجتان' } as Record<string, string>)[plural('ar', n)] ??
    `${formatNumber('ar', n)} ${plural('ar', n) === 'few' ? 'نتائج' : 'نتيجة'}`,
  add: 'أضف',
  close: 'إغلاق',
  items: (n: number) =>
    ({ zero: 'لا أصناف', one: 'صنف واحد', two: 'صنفان' } as Record<string, string>)[plural('ar', n)] ??
    `${formatNumber('ar', n)} ${({ few: 'أصناف', many: 'صنفًا' } as Record<string, string>)[plural('ar', n)] ?? 'صنف'}`,
  viewCart: 'عرض الطلب',
  more: (name: string) => `واحد آخر: ${name}`,
  less: (name: string) => `واحد أقل: ${name}`,
  quantityOf: (name: string) => `كمية ${name}`,
  // An Arabic amount ends in «ر.س.»: a sentence never ends on one, or it would end in two dots.
  belowMinimumBy: (missing: string, minimum: string) => `الحد الأدنى لطلب التوصيل ${minimum}، أضف ${missing} لبلوغه.`,
  servedAt: (menu: string, spans: string) => `${menu} ${spans}`,
  notServedNow: 'لا يُقدَّم الآن',
  photoOf: (name: string) => name,
  addToCart: 'أضف إلى الطلب',
  cancel: 'إلغاء',
  required: 'إلزامي',
  optional: 'اختياري',
  chooseExactly: (n: number, g: string) => `اختر ${numberFormat('ar-SA').format(n)} من «${g}».`,
  chooseAtLeast: (n: number, g: string) => `اختر ${numberFormat('ar-SA').format(n)} على الأقل من «${g}».`,
  chooseAtMost: (n: number, g: string) => `اختر ${numberFormat('ar-SA').format(n)} على الأكثر من «${g}».`,
  upTo: (n: number) => `حتى ${numberFormat('ar-SA').format(n)}`,
  quantity: 'الكمية',
  notes: 'ملاحظات للمطبخ',
  soldOut: 'نفد',
  calories: (n: string) => `${n} سعرة`,
  allergens: 'مسببات الحساسية',
  cart: 'طلب الطاولة',
  webCart: 'طلبك',
  emptyCart: 'لا شيء في الطلب بعد.',
  addedBy: (n: string) => `أضافه ${n}`,
  you: 'أنت',
  remove: 'احذف',
  subtotal: 'الأصناف',
  vat: 'شامل الضريبة',
  tip: 'إكرامية',
  noTip: 'بدون إكرامية',
  total: 'الإجمالي',
  orderNotes: 'ملاحظات على الطلب',
  contactPhone: 'رقم الجوال (اختياري)',
  contactPhoneHint: 'ليتصل بك المطعم بشأن هذا الطلب. مع رمز الدولة، مثل ‎+966 50 123 4567‎.',
  phoneToCall: 'الجوال لهذا الطلب',
  payAtCounter: 'اطلب وادفع عند الكاشير',
  payOnline: 'اطلب وادفع أونلاين',
  placing: 'جارٍ إرسال طلبك…',
  table: (l: string) => `طاولة ${l}`,
  yourName: 'اسمك (يظهر لطاولتك)',
  join: 'انضم إلى الطاولة',
  live: 'مباشر',
  reconnecting: 'جارٍ إعادة الاتصال…',
  offline: 'غير متصل',
  orderTitle: (n: string) => `الطلب رقم ${n}`,
  status: {
    placed: 'تم الطلب', accepted: 'تم القبول', preparing: 'قيد التحضير', ready: 'جاهز',
    served: 'تم التقديم', picked_up: 'تم الاستلام', out_for_delivery: 'في الطريق',
    delivered: 'تم التوصيل', closed: 'مغلق', cancelled: 'ملغي', voided: 'ملغى',
  },
  paid: 'مدفوع',
  due: 'المتبقي',
  payment: {
    pending: 'جارٍ تأكيد الدفع…', succeeded: 'تم استلام الدفع. شكرًا لك!', declined: 'تم رفض الدفع.',
    failed: 'لم تتم عملية الدفع.', unknown: 'ما زلنا نؤكد عملية الدفع.', reversed: 'تمت إعادة المبلغ.',
  },
  payNow: 'ادفع أونلاين الآن',
  backToMenu: 'العودة إلى القائمة',
  estimated: (m: string) => `جاهز خلال ${m} دقيقة تقريبًا`,
  notFound: 'غير موجود',
  tableNotFound: 'رابط الطاولة لم يعد صالحًا. اطلب رمزًا جديدًا من الموظفين.',
  problem: 'حدث خطأ',
  pickup: 'استلام',
  delivery: 'توصيل',
  branch: 'الفرع',
  deliveryAddress: 'عنوان التوصيل',
  latitude: 'خط العرض',
  longitude: 'خط الطول',
  checkAddress: 'تحقق من العنوان',
  outsideZone: 'عذرًا، لا نوصل إلى هذا العنوان.',
  insideZone: (zone: string, fee: string, minimum: string, eta: string) =>
    `نوصل إلى هنا (${zone}). رسوم التوصيل ${fee}، والحد الأدنى للطلب ${minimum}، خلال ${eta} دقيقة تقريبًا.`,
  deliveryUnavailable: 'لا يمكن التحقق من التوصيل الآن؛ اختر الاستلام.',
  street: 'عنوان الشارع',
  addressNotes: 'إرشادات للسائق (اختياري)',
  useMyLocation: 'استخدم موقعي',
  locating: 'جارٍ تحديد موقعك…',
  locationDenied: 'موقعك غير متاح؛ أدخل خط العرض وخط الطول بدلًا منه.',
  branchClosed: 'هذا الفرع مغلق الآن ولا يستقبل طلبات التوصيل.',
  belowMinimum: (minimum: string) => `لا يُقبل طلب التوصيل هنا بأقل من ${minimum}`,
  checkFirst: 'تحقق من عنوان التوصيل أولًا.',
  deliveryFee: 'التوصيل',
  eta: (m: string) => `الوقت المتوقع نحو ${m} دقيقة`,
  queuePosition: (n: string) => `رقمك ${n} في طابور الاستلام`,
  readyBy: (time: string, m: string) => `يُتوقع أن يكون جاهزًا بحلول ${time} (نحو ${m} دقيقة)`,
  driver: (name: string) => `سائقك: ${name}`,
  driverAt: (lat: string, lng: string) => `السائق عند ${lat}، ${lng}`,
  driverWaiting: 'سيُعيَّن سائق قريبًا.',
  handoverCode: 'رمز التسليم (أخبر به السائق)',
  deliverTo: 'التوصيل إلى',
  signIn: 'تسجيل الدخول',
  signUp: 'إنشاء حساب',
  signOut: 'تسجيل الخروج',
  email: 'البريد الإلكتروني',
  password: 'كلمة المرور',
  name: 'الاسم',
  continueAsGuest: 'المتابعة كضيف',
  signedInAs: (n: string) => `مسجل باسم ${n}`,
  kds: {
    title: 'شاشة المطبخ',
    register: 'تسجيل هذا الجهاز',
    registerHelp: 'يسجل المدير الدخول مرة واحدة لربط هذه الشاشة بفرع.',
    deviceName: 'اسم الشاشة',
    pinTitle: 'أدخل رمزك السري',
    whoTitle: 'من يسجل الدخول؟',
    noStaff: 'لا يوجد موظفون برمز سري في هذا الفرع بعد.',
    notYou: 'شخص آخر',
    pinFor: (n: string) => `الرمز السري لـ ${n}`,
    pin: 'الرمز السري',
    signInPin: 'دخول',
    clear: 'مسح',
    station: 'القسم',
    allStations: 'كل الأقسام',
    allDay: 'إجمالي اليوم',
    bump: 'تم',
    recall: 'استرجاع الأخير',
    rush: 'مستعجل',
    voided: 'ملغى — لا يُحضَّر',
    unrush: 'إلغاء الاستعجال',
    start: 'ابدأ',
    noTickets: 'لا توجد تذاكر مفتوحة.',
    held: 'معلّق',
    signOut: 'خروج',
    fullscreen: 'ملء الشاشة',
    sound: 'الصوت',
    recallLate: (n: string) => `استرجاع التذكرة رقم ${n}: انتهت مهلة استرجاعها.`,
    recentlyBumped: 'أُنجزت مؤخرًا',
    bumpedAgo: (d: string) => `أُنجزت قبل ${d}`,
    recallShort: 'استرجاع',
    recallTicket: (n: string) => `استرجاع التذكرة رقم ${n}`,
    approval: {
      title: 'يلزم اعتماد المدير',
      help: 'يُدخل المدير رمزه السري لهذا الإجراء وحده، وتبقى الشاشة مسجّلة للمطبخ.',
      pinLabel: 'الرمز السري للمدير',
      approve: 'اعتماد',
      cancel: 'إلغاء',
      wrongPin: 'هذا الرمز ليس لمدير في هذا الفرع.',
      locked: (s: string) => `محاولات خاطئة كثيرة. حاول مجددًا بعد ${s} ثانية.`,
    },
  },
};

export function t(lang: Lang): Strings {
  return lang === 'ar' ? ar : en;
}

export type { Strings };

const AR_TAGS: Record<string, string> = {
  gluten: 'غلوتين', egg: 'بيض', dairy: 'ألبان', sesame: 'سمسم', mustard: 'خردل', nuts: 'مكسرات',
  soy: 'صويا', fish: 'سمك', shellfish: 'قشريات', peanuts: 'فول سوداني', celery: 'كرفس',
  vegan: 'نباتي صرف', vegetarian: 'نباتي', spicy: 'حار', 'gluten-free': 'خالٍ من الغلوتين', halal: 'حلال',
};

/** An allergen or dietary tag in the page's language (unknown tags are shown as stored). */
export function tag(lang: Lang, code: string): string {
  return lang === 'ar' ? (AR_TAGS[code] ?? code) : code.replace(/-/g, ' ');
}
