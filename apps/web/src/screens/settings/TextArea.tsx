import { useId, type TextareaHTMLAttributes } from 'react';

/** Field.tsx's twin for multi-line text: label, a live character count, and the error sentence. */
export function TextArea({
  label,
  error,
  max,
  value,
  ...textarea
}: { label: string; error?: string; max: number; value: string } & Omit<
  TextareaHTMLAttributes<HTMLTextAreaElement>,
  'value'
>) {
  const id = useId();
  // The server counts code points, so an emoji is one character here too.
  const used = [...value].length;
  const describedBy = [`${id}-count`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        value={value}
        aria-invalid={error || used > max ? true : undefined}
        aria-describedby={describedBy}
        {...textarea}
      />
      <span id={`${id}-count`} className={`counter small ${used > max ? 'field-error' : 'muted'}`}>
        {used} / {max}
      </span>
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}
