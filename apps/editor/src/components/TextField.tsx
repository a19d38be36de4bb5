import { useEffect, useState } from "react";
import { type FieldDescriptor, parseInput } from "../logic/fields.ts";

function asText(field: FieldDescriptor, v: unknown): string {
  if (v === undefined || v === null) return "";
  return field.kind === "json" ? JSON.stringify(v) : String(v);
}

/** Text, path or JSON entry committed on Enter/blur; JSON fields get a multi-line box. */
export function TextField({
  field,
  value,
  onCommit,
  onError,
}: {
  field: FieldDescriptor;
  value: unknown;
  onCommit: (v: unknown) => void;
  onError: (message: string | null) => void;
}) {
  const current = value ?? field.default;
  const [text, setText] = useState(asText(field, current));
  useEffect(() => {
    setText(asText(field, current));
    onError(null);
  }, [field, current, onError]);

  const commit = () => {
    const r = parseInput(field, text);
    if (!r.ok) return onError(r.error);
    onError(null);
    if (JSON.stringify(r.value) !== JSON.stringify(value)) onCommit(r.value);
  };

  const common = {
    value: text,
    onBlur: commit,
    "aria-label": field.label,
    "data-testid": `input-${field.name}`,
    placeholder: field.kind === "path" ? `path in the ${field.root ?? "data"} folder` : "",
  };
  return field.kind === "json" ? (
    <textarea
      className="text-input mono"
      rows={3}
      {...common}
      onChange={(e) => setText(e.target.value)}
    />
  ) : (
    <input
      className={`text-input${field.kind === "path" ? " mono" : ""}`}
      type="text"
      {...common}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === "Enter") commit();
      }}
    />
  );
}
