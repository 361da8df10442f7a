// What an API refusal means for a guest, as a sentence in their language. The API's problem
// codes and details are for developers ("invalid_credentials", "the cart is checked_out"); a
// guest never sees them. A code without a sentence of its own gets one for its status.
import { ApiError } from './api';
import type { Lang } from '../i18n';

type Sentences = Record<string, string>;

const en: Sentences = {
  invalid_credentials: 'That email and password do not match an account. Check them and try again.',
  invalid_pin: 'That PIN is not right. Try again.',
  missing_token: 'Your session has ended. Reload the page to go on.',
  invalid_token: 'Your session has ended. Reload the page to go on.',
  token_expired: 'Your session has ended. Reload the page to go on.',
  session_expired: 'Your session has ended. Reload the page to go on.',
  session_revoked: 'You were signed out. Sign in again to go on.',
  invalid_refresh_token: 'You were signed out. Sign in again to go on.',
  refresh_token_reused: 'You were signed out for your safety. Sign in again to go on.',
  membership_revoked: 'You are no longer part of this table’s order.',
  email_taken: 'An account with this email exists already. Sign in instead.',
  already_member: 'You are part of this order already.',
  cart_closed: 'This order has been sent already. Reload the page to start a new one.',
  cart_busy: 'Someone else is changing this order right now. Try again in a moment.',
  line_unavailable: 'An item in the order is not available any more. Remove it to go on.',
  branch_closed: 'This branch is closed now and takes no orders.',
  guest_order_limit: 'A guest can place only a few orders. Create an account to order more.',
  outside_delivery_zone: 'Sorry, we do not deliver to this address.',
  below_delivery_minimum: 'The order is below the minimum for delivery.',
  payment_declined: 'The payment was declined. Try another card or pay at the counter.',
  payment_refused: 'The payment could not be taken. Try again or pay at the counter.',
  payment_in_flight: 'A payment for this order is under way. Wait a moment.',
  nothing_due: 'Nothing is left to pay on this order.',
  session_completed: 'This payment is finished already.',
  rate_limited: 'Too many tries in a short time. Wait a minute and try again.',
  busy: 'We are very busy right now. Try again in a moment.',
  not_found: 'We could not find that. It may have been removed.',
  forbidden: 'This is not open to you.',
  validation_failed: 'Some details are not right. Check them and try again.',
  payload_too_large: 'That is too large to send.',
  network: 'We could not reach the restaurant. Check your connection and try again.',
  server: 'Something went wrong on our side. Try again in a moment.',
  other: 'That did not work. Try again.',
};

const ar: Sentences = {
  invalid_credentials: 'البريد الإلكتروني وكلمة المرور لا يطابقان أي حساب. تحقق منهما وحاول مجددًا.',
  invalid_pin: 'الرمز السري غير صحيح. حاول مجددًا.',
  missing_token: 'انتهت جلستك. أعد تحميل الصفحة للمتابعة.',
  invalid_token: 'انتهت جلستك. أعد تحميل الصفحة للمتابعة.',
  token_expired: 'انتهت جلستك. أعد تحميل الصفحة للمتابعة.',
  session_expired: 'انتهت جلستك. أعد تحميل الصفحة للمتابعة.',
  session_revoked: 'تم تسجيل خروجك. سجّل الدخول مجددًا للمتابعة.',
  invalid_refresh_token: 'تم تسجيل خروجك. سجّل الدخول مجددًا للمتابعة.',
  refresh_token_reused: 'تم تسجيل خروجك حفاظًا على أمانك. سجّل الدخول مجددًا للمتابعة.',
  membership_revoked: 'لم تعد مشاركًا في طلب هذه الطاولة.',
  email_taken: 'يوجد حساب بهذا البريد الإلكتروني. سجّل الدخول بدلًا من ذلك.',
  already_member: 'أنت مشارك في هذا الطلب بالفعل.',
  cart_closed: 'تم إرسال هذا الطلب بالفعل. أعد تحميل الصفحة لبدء طلب جديد.',
  cart_busy: 'شخص آخر يعدّل هذا الطلب الآن. حاول مجددًا بعد لحظة.',
  line_unavailable: 'أحد أصناف الطلب لم يعد متاحًا. احذفه للمتابعة.',
  branch_closed: 'هذا الفرع مغلق الآن ولا يستقبل الطلبات.',
  guest_order_limit: 'يمكن للضيف إرسال عدد محدود من الطلبات. أنشئ حسابًا لتطلب المزيد.',
  outside_delivery_zone: 'عذرًا، لا نوصل إلى هذا العنوان.',
  below_delivery_minimum: 'الطلب أقل من الحد الأدنى للتوصيل.',
  payment_declined: 'تم رفض الدفع. جرّب بطاقة أخرى أو ادفع عند الكاشير.',
  payment_refused: 'تعذّر الدفع. حاول مجددًا أو ادفع عند الكاشير.',
  payment_in_flight: 'هناك عملية دفع جارية لهذا الطلب. انتظر لحظة.',
  nothing_due: 'لم يتبقَّ شيء للدفع في هذا الطلب.',
  session_completed: 'اكتملت عملية الدفع هذه بالفعل.',
  rate_limited: 'محاولات كثيرة في وقت قصير. انتظر دقيقة وحاول مجددًا.',
  busy: 'نحن مشغولون جدًا الآن. حاول مجددًا بعد لحظة.',
  not_found: 'لم نجد ما تبحث عنه. ربما أُزيل.',
  forbidden: 'هذا غير متاح لك.',
  validation_failed: 'بعض البيانات غير صحيحة. تحقق منها وحاول مجددًا.',
  payload_too_large: 'هذا أكبر من أن يُرسل.',
  network: 'تعذّر الوصول إلى المطعم. تحقق من اتصالك وحاول مجددًا.',
  server: 'حدث خطأ من جهتنا. حاول مجددًا بعد لحظة.',
  other: 'لم ينجح ذلك. حاول مجددًا.',
};

/** Whether a code has a sentence of its own (for tests and callers that add their own). */
export function knownProblem(code: string): boolean {
  return code in en;
}

/** The sentence for a refusal or a failure to reach the API, in the page's language. */
export function problemMessage(lang: Lang, err: unknown): string {
  const s = lang === 'ar' ? ar : en;
  if (!(err instanceof ApiError)) return s.network!;
  if (s[err.code]) return s[err.code]!;
  if (err.status >= 500) return s.server!;
  if (err.status === 401) return s.missing_token!;
  if (err.status === 403) return s.forbidden!;
  if (err.status === 404) return s.not_found!;
  if (err.status === 429) return s.rate_limited!;
  return s.other!;
}
