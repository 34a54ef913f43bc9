import { useId, type TextareaHTMLAttributes } from 'react';

/** Length as the server counts it: Unicode code points after trimming (an emoji is one). */
export function textLength(text: string): number {
  return [...text.trim()].length;
}

/**
 * Field.tsx's twin for multi-line text: a label, a live count against `max` and the error
 * sentence, both tied to the box for screen readers.
 */
export function TextArea({
  label,
  max,
  value,
  error,
  hideLabel = false,
  countFrom = 0,
  ...rest
}: {
  label: string;
  max: number;
  value: string;
  error?: string | undefined;
  hideLabel?: boolean;
  /** Show the count only from this length on, for boxes where it would be clutter. */
  countFrom?: number;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value'>) {
  const id = useId();
  const length = textLength(value);
  const over = length > max;
  const counted = length >= countFrom;
  const describedBy = [counted ? `${id}-count` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field text-area">
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <textarea
        id={id}
        value={value}
        aria-invalid={over || error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...rest}
      />
      {counted && (
        <span id={`${id}-count`} className={`char-count small ${over ? 'field-error' : 'muted'}`}>
          {over
            ? `${(length - max).toLocaleString()} characters too long`
            : `${length.toLocaleString()} / ${max.toLocaleString()}`}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}
