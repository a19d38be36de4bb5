import { useEffect, useState } from "react";
import { type FieldDescriptor, parseInput } from "../logic/fields.ts";

/**
 * Slider (when the schema gives a finite range) plus a text box. The slider commits as it
 * moves; the text box commits on Enter or blur, and keeps an invalid entry with its error.
 */
export function NumberField({
  field,
  value,
  onCommit,
  onError,
}: {
  field: FieldDescriptor;
  value: number | undefined;
  onCommit: (v: unknown) => void;
  onError: (message: string | null) => void;
}) {
  const shown = value ?? (typeof field.default === "number" ? field.default : undefined);
  const [text, setText] = useState(shown === undefined ? "" : String(shown));
  useEffect(() => {
    setText(shown === undefined ? "" : String(shown));
    onError(null);
  }, [shown, onError]);

  const commitText = () => {
    const r = parseInput(field, text);
    if (!r.ok) return onError(r.error);
    onError(null);
    if (r.value !== value) onCommit(r.value);
  };

  return (
    <div className="number-field">
      {field.slider && (
        <input
          type="range"
          min={field.min}
          max={field.max}
          step={field.step}
          value={shown ?? field.min}
          onChange={(e) => onCommit(Number(e.target.value))}
          aria-label={`${field.label} slider`}
          data-testid={`slider-${field.name}`}
        />
      )}
      <input
        className="number-input"
        type="text"
        inputMode="decimal"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commitText}
        onKeyDown={(e) => {
          if (e.key === "Enter") commitText();
          if (e.key === "Escape") setText(shown === undefined ? "" : String(shown));
        }}
        aria-label={field.label}
        data-testid={`input-${field.name}`}
      />
      {field.unit && <span className="unit">{field.unit}</span>}
    </div>
  );
}
