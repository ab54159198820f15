// A fieldset of checkboxes for a multi-choice (tags, CSVs, nodes), keyboard friendly.
export function CheckList({
  legend,
  options,
  values,
  onChange,
}: {
  legend: string;
  options: Array<{ value: string; label: string }>;
  values: string[];
  onChange(v: string[]): void;
}) {
  return (
    <fieldset className="checklist">
      <legend>{legend}</legend>
      {options.length === 0 && <span className="muted small">none in this estate</span>}
      {options.map((o) => (
        <label key={o.value} className="check">
          <input
            type="checkbox"
            checked={values.includes(o.value)}
            onChange={(e) =>
              onChange(
                e.target.checked ? [...values, o.value] : values.filter((x) => x !== o.value),
              )
            }
          />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}
