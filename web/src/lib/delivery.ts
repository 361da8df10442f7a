// Delivery on the website: what a refused delivery quote or checkout means for the guest.
import { ApiError } from './api';
import { problemMessage } from './problems';
import { t, formatPrice, type Lang } from '../i18n';

/** The message for a refused quote or checkout, in the page's language. */
export function deliveryProblem(lang: Lang, err: unknown, currency: string, minimumOrder?: number): string {
  const tr = t(lang);
  if (err instanceof ApiError) {
    if (err.code === 'outside_delivery_zone') return tr.outsideZone;
    if (err.code === 'branch_closed') return tr.branchClosed;
    if (err.code === 'below_delivery_minimum')
      return minimumOrder != null ? tr.belowMinimum(formatPrice(lang, currency, minimumOrder)) : problemMessage(lang, err);
    if (err.status === 404 || err.status === 405) return tr.deliveryUnavailable;
  }
  return problemMessage(lang, err);
}
