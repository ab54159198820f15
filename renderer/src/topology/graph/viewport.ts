// Pure: the viewport (pan and zoom) that fits the whole picture in the canvas, with a margin.
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export function fitViewport(
  picture: { width: number; height: number },
  canvas: { width: number; height: number },
  opts: { padding?: number; minZoom?: number; maxZoom?: number } = {},
): Viewport {
  const pad = opts.padding ?? 0.05;
  const w = Math.max(1, picture.width);
  const h = Math.max(1, picture.height);
  const zoom = Math.min(
    opts.maxZoom ?? 1,
    Math.max(
      opts.minZoom ?? 0.05,
      Math.min(canvas.width / (w * (1 + 2 * pad)), canvas.height / (h * (1 + 2 * pad))),
    ),
  );
  return { x: (canvas.width - w * zoom) / 2, y: (canvas.height - h * zoom) / 2, zoom };
}
