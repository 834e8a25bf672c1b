import { encode } from "uqr";

/** A QR code drawn as SVG in the page (no image from elsewhere, nothing inline for the CSP to refuse): one
 * path of unit squares, with the quiet zone the standard asks for. Loaded only with the enrolment step. */
export default function QrCode({ text, label }: { text: string; label: string }) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let d = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label}
      xmlns="http://www.w3.org/2000/svg" shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
