import { describe, expect, it } from 'vitest';
import { deliveryProblem } from '../../src/lib/delivery';
import { ApiError } from '../../src/lib/api';

const refused = (code: string, status = 422) => new ApiError(status, code, `server says ${code}`, undefined);

describe('lib/delivery', () => {
  it('turns each refusal of a delivery into the guest’s language', () => {
    expect(deliveryProblem('en', refused('outside_delivery_zone'), 'SAR')).toBe('Sorry, we do not deliver to this address.');
    expect(deliveryProblem('ar', refused('outside_delivery_zone'), 'SAR')).toBe('عذرًا، لا نوصل إلى هذا العنوان.');
    expect(deliveryProblem('en', refused('branch_closed'), 'SAR')).toBe('This branch is closed now and takes no delivery orders.');
    expect(deliveryProblem('ar', refused('branch_closed'), 'SAR')).toBe('هذا الفرع مغلق الآن ولا يستقبل طلبات التوصيل.');
  });

  it('names the zone’s minimum, formatted per language, when the order is below it', () => {
    expect(deliveryProblem('en', refused('below_delivery_minimum'), 'SAR', 2500)).toMatch(/^The minimum order for delivery here is SAR\s25\.00\.$/);
    expect(deliveryProblem('ar', refused('below_delivery_minimum'), 'SAR', 2500)).toContain('٢٥٫٠٠');
    // Without the quote's minimum, a sentence still (never the server's words).
    expect(deliveryProblem('en', refused('below_delivery_minimum'), 'SAR')).toBe('The order is below the minimum for delivery.');
  });

  it('tells a server without delivery apart, and words other problems for the guest', () => {
    expect(deliveryProblem('en', refused('not_found', 404), 'SAR')).toBe('Delivery cannot be checked right now; choose pickup.');
    const invalid = new ApiError(422, 'validation_failed', 'bad', { lat: ['lat must be between -90 and 90'] });
    expect(deliveryProblem('en', invalid, 'SAR')).toBe('Some details are not right. Check them and try again.');
    expect(deliveryProblem('en', new Error('offline'), 'SAR')).toBe('We could not reach the restaurant. Check your connection and try again.');
  });
});
