import { useCallback, useState } from "react";
import { type FieldDescriptor, validateValue } from "../logic/fields.ts";
import { NumberField } from "./NumberField.tsx";
import { TextField } from "./TextField.tsx";

/**
 * One parameter row: label, the control its schema calls for, a reset to the default, and
 * the problem with the value (local entry errors first, then the runner's).
 */
export function ParamField({
  field,
  value,
  serverIssue,
  onChange,
}: {
  field: FieldDescriptor;
  value: unknown;
  serverIssue?: string;
  onChange: (v: unknown) => void;
}) {
  const [entryError, setEntryError] = useState<string | null>(null);
  const onError = useCallback((m: string | null) => setEntryError(m), []);
  const stored = validateValue(field, value ?? field.default);
  const error = entryError ?? stored ?? serverIssue;
  const isDefault = value === undefined || JSON.stringify(value) === JSON.stringify(field.default);

  let control: React.ReactNode;
  switch (field.kind) {
    case "number":
    case "integer":
      control = (
        <NumberField
          field={field}
          value={typeof value === "number" ? value : undefined}
          onCommit={onChange}
          onError={onError}
        />
      );
      break;
    case "boolean": {
      const on = Boolean(value ?? field.default);
      control = (
        <button
          type="button"
          role="switch"
          aria-checked={on}
          aria-label={field.label}
          className={`toggle${on ? " toggle-on" : ""}`}
          onClick={() => onChange(!on)}
          data-testid={`input-${field.name}`}
        >
          <span className="toggle-knob" />
        </button>
      );
      break;
    }
    case "enum":
      control = (
        <select
          className="select"
          value={String(value ?? field.default ?? "")}
          aria-label={field.label}
          onChange={(e) => {
            const opt = field.options?.find((o) => String(o) === e.target.value);
            onChange(opt);
          }}
          data-testid={`input-${field.name}`}
        >
          {value === undefined && field.default === undefined && <option value="">choose…</option>}
          {field.options?.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    default:
      control = <TextField field={field} value={value} onCommit={onChange} onError={onError} />;
  }

  return (
    <div
      className={`field${error ? " field-invalid" : ""}${field.important ? " field-important" : ""}`}
      data-testid={`field-${field.name}`}
    >
      <div className="field-head">
        <span className="field-label" title={field.description}>
          {field.label}
          {field.required && <span className="req">*</span>}
        </span>
        {field.slider && (
          <span className="field-range">
            {field.min}–{field.max}
            {field.unit ? ` ${field.unit}` : ""}
          </span>
        )}
        {!isDefault && field.default !== undefined && (
          <button
            type="button"
            className="link"
            title={`Reset to ${JSON.stringify(field.default)}`}
            onClick={() => onChange(field.default)}
          >
            reset
          </button>
        )}
      </div>
      {control}
      {field.description && <div className="field-help">{field.description}</div>}
      {error && (
        <div className="field-error" role="alert" data-testid={`error-${field.name}`}>
          {error}
        </div>
      )}
    </div>
  );
}
