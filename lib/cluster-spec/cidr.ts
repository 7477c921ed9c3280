/** Pure IPv4 helpers for validation and address planning. Only ever called on literal strings. */

export interface Ipv4Cidr {
  readonly network: number; // unsigned 32-bit network address
  readonly prefix: number;
}

// No leading zeros: "010.0.0.1" is octal to some parsers, and kubeadm and keepalived refuse it.
const OCTET = "(0|[1-9]\\d{0,2})";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** Parses "a.b.c.d/n"; rejects host bits set, so "10.0.0.1/16" is an error rather than a guess. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const [ip, prefixText, ...rest] = text.split("/");
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const address = parseIpv4(ip);
  if (address === undefined || prefix > 32) return undefined;
  const network = (address & prefixMask(prefix)) >>> 0;
  return network === address ? { network, prefix } : undefined;
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const aEnd = a.network + cidrSize(a) - 1;
  const bEnd = b.network + cidrSize(b) - 1;
  return a.network <= bEnd && b.network <= aEnd;
}

export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && (inner.network & prefixMask(outer.prefix)) >>> 0 === outer.network;
}

/** Terraform's cidrhost(): the host with the given offset inside a literal CIDR. */
export function cidrHost(cidrText: string, offset: number): string {
  const cidr = parseCidr(cidrText);
  if (!cidr) throw new Error(`cidrHost: "${cidrText}" is not an IPv4 CIDR`);
  if (offset < 0 || offset >= cidrSize(cidr)) throw new Error(`cidrHost: offset ${offset} is outside ${cidrText}`);
  return formatIpv4(cidr.network + offset);
}

/** Terraform's cidrsubnet(): the netnum-th subnet of newbits extra prefix bits. */
export function cidrSubnet(cidrText: string, newBits: number, netNum: number): string {
  const cidr = parseCidr(cidrText);
  if (!cidr) throw new Error(`cidrSubnet: "${cidrText}" is not an IPv4 CIDR`);
  const prefix = cidr.prefix + newBits;
  if (prefix > 32 || netNum < 0 || netNum >= 2 ** newBits) {
    throw new Error(`cidrSubnet: netnum ${netNum} with ${newBits} new bits does not fit in ${cidrText}`);
  }
  return `${formatIpv4(cidr.network + netNum * 2 ** (32 - prefix))}/${prefix}`;
}
