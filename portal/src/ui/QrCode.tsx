// A QR code drawn as SVG in the page itself (no image address: the page's CSP has no
// need to allow one, and the secret it holds never leaves the DOM).
import { encode } from "uqr";

type Props = { text: string; label: string };

/** `text` as a QR code; `label` tells what it holds to those who cannot scan it. */
export function QrCode({ text, label }: Props) {
  // Four light modules around it, as scanners expect (ISO/IEC 18004's quiet zone).
  const { data } = encode(text, { ecc: "M", border: 4 });
  const size = data.length;
  // One path of unit squares: a few hundred elements would make the DOM heavy for nothing.
  const dark = data
    .flatMap((row, y) => row.map((on, x) => (on ? `M${x} ${y}h1v1h-1z` : "")))
    .join("");
  return (
    <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={dark} fill="#000" />
    </svg>
  );
}
