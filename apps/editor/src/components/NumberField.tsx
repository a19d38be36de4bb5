import { useEffect, useState } from "react";
import {
  type FieldDescriptor,
  parseInput,
  sliderPosition,
  sliderPositions,
  sliderValue,
} from "../logic/fields.ts";

/**
 * Slider (when the schema gives a usable range) plus a text box. The slider moves over
 * positions, evenly spaced in value or in log10(value) (see sliderValue), and commits as it
 * moves; the text box commits on Enter or blur, keeps an invalid entry with its error, and
 * takes any valid value, including ones outside the slider's range such as a sentinel 0. Such
 * a value leaves the slider resting at its nearer end until the user moves it.
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
  // Where the user last put the slider. Neighbouring positions may round to the same value
  // (integers on a log slider); keeping the position stops the thumb jumping back under the
  // pointer. It counts only while it still gives the shown value.
  const [moved, setMoved] = useState<number | null>(null);

  const commitText = () => {
    const r = parseInput(field, text);
    if (!r.ok) return onError(r.error);
    onError(null);
    if (r.value !== value) onCommit(r.value);
  };

  const at = sliderPosition(field, shown);
  const keepMoved = moved !== null && shown !== undefined && sliderValue(field, moved) === shown;
  const position = keepMoved ? moved : at.position;
  // Dimmed while the value is outside the slider's range: the thumb then shows no value.
  const outside = !keepMoved && !at.inRange;

  return (
    <div className="number-field">
      {field.slider && (
        <input
          type="range"
          min={0}
          max={sliderPositions(field)}
          step={1}
          value={position}
          onChange={(e) => {
            const p = Number(e.target.value);
            const v = sliderValue(field, p);
            setMoved(p);
            if (v !== value) onCommit(v);
          }}
          className={outside ? "slider-outside" : undefined}
          aria-label={`${field.label} slider${field.scale === "log" ? " (logarithmic)" : ""}`}
          aria-valuetext={shown === undefined ? "not set" : String(shown)}
          data-testid={`slider-${field.name}`}
          data-scale={field.scale}
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
