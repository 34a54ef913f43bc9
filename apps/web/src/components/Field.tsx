import { useId, type InputHTMLAttributes } from 'react';

/** A labelled input with its error sentence, wired for screen readers. */
export function Field({
  label,
  error,
  ...input
}: { label: string; error?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <label className="field" htmlFor={id}>
      <span id={`${id}-label`}>{label}</span>
      <input
        id={id}
        // The error sentence sits inside the <label>; without this it would become part of the name.
        aria-labelledby={`${id}-label`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...input}
      />
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}

/** Turns an API field message ("must be at least 8 characters") into a sentence about the field. */
export function fieldMessage(
  fields: Record<string, string>,
  name: string,
  label: string,
): string | undefined {
  const message = fields[name];
  return message ? `${label} ${message}.` : undefined;
}
