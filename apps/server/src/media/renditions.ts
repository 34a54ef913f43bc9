/**
 * The renditions every photo gets (API.md's MediaRef.variants): a square thumbnail and three
 * widths. Never upscaled: a 500 px wide photo's `medium` and `large` are 500 px wide.
 */
export const VARIANTS = ['thumb', 'small', 'medium', 'large'] as const;
export type VariantName = (typeof VARIANTS)[number];

export const THUMB_SIZE = 150;
export const VARIANT_WIDTHS = { small: 320, medium: 640, large: 1080 } as const;

export interface Size {
  readonly width: number;
  readonly height: number;
}

export function renditionSize(variant: VariantName, original: Size): Size {
  if (variant === 'thumb') {
    // Cover crop to a square, or smaller when the photo itself is smaller.
    const side = Math.min(THUMB_SIZE, original.width, original.height);
    return { width: side, height: side };
  }
  const width = Math.min(VARIANT_WIDTHS[variant], original.width);
  return { width, height: Math.max(1, Math.round((original.height * width) / original.width)) };
}
