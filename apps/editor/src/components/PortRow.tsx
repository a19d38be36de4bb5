import { Handle, Position } from "@xyflow/react";
import { PORT_TYPES } from "../../../../nodes/sdk/ports.ts";
import type { PortSpec } from "../logic/catalogue.ts";

/** One port: a handle coloured by its type and a label; red ring when validation objects. */
export function PortRow({
  name,
  spec,
  side,
  issue,
}: {
  name: string;
  spec: PortSpec;
  side: "in" | "out";
  issue?: string;
}) {
  const type = PORT_TYPES[spec.type];
  const tip = `${spec.title ?? name}: ${type.title}${spec.optional ? " (optional)" : ""}\n${
    spec.description ?? type.description
  }${issue ? `\n⚠ ${issue}` : ""}`;
  return (
    <div className={`port port-${side}${issue ? " port-issue" : ""}`} title={tip}>
      <Handle
        type={side === "in" ? "target" : "source"}
        position={side === "in" ? Position.Left : Position.Right}
        id={name}
        className="port-handle"
        style={{ background: type.color }}
        data-testid={`port-${side}-${name}`}
      />
      <span className="port-label">{spec.title ?? name}</span>
      <span className="port-type" style={{ color: type.color }}>
        {type.title}
      </span>
    </div>
  );
}
