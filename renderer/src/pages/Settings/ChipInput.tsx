// A list of chosen values (VM names) with an input that suggests known values; Enter adds, × removes.
import { useId, useState } from 'react';

export function ChipInput({
  label,
  values,
  options,
  onChange,
}: {
  label: string;
  values: string[];
  options: string[];
  onChange(v: string[]): void;
}) {
  const [text, setText] = useState('');
  const listId = useId();
  const add = () => {
    const v = text.trim();
    if (v && !values.includes(v)) onChange([...values, v]);
    setText('');
  };
  return (
    <div className="chips-field">
      <label className="field">
        <span>{label}</span>
        <input
          list={listId}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
          placeholder="type a name, Enter to add"
        />
      </label>
      <datalist id={listId}>
        {options.slice(0, 2000).map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
      <button type="button" className="small" onClick={add} disabled={!text.trim()}>
        Add
      </button>
      <ul className="chips" aria-label={`${label} chosen`}>
        {values.map((v) => (
          <li key={v} className="chip">
            {v}
            <button
              type="button"
              className="ghost small"
              aria-label={`Remove ${v}`}
              onClick={() => onChange(values.filter((x) => x !== v))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
