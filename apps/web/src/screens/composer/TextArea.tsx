import { useId, type TextareaHTMLAttributes } from 'react';

/** Length as the server counts it: Unicode code points after trimming. */
export function textLength(text: string): number {
  return [...text.trim()].length;
}

/** A labelled textarea with a live count against `max`, the count tied to it for screen readers. */
export function TextArea({
  label,
  max,
  value,
  hideLabel = false,
  countFrom = 0,
  ...rest
}: {
  label: string;
  max: number;
  value: string;
  hideLabel?: boolean;
  /** Show the count only from this length on, for boxes where it would be clutter. */
  countFrom?: number;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value'>) {
  const id = useId();
  const length = textLength(value);
  const over = length > max;
  return (
    <div className="field text-area">
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <textarea
        id={id}
        value={value}
        aria-invalid={over ? true : undefined}
        aria-describedby={length >= countFrom ? `${id}-count` : undefined}
        {...rest}
      />
      {length >= countFrom && (
        <span id={`${id}-count`} className={`char-count small ${over ? 'field-error' : 'muted'}`}>
          {over
            ? `${(length - max).toLocaleString()} characters too long`
            : `${length.toLocaleString()} / ${max.toLocaleString()}`}
        </span>
      )}
    </div>
  );
}
