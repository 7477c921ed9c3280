/** Renders the shell environment file the userdata/ scripts read (`KEY='value'` lines, sourced by bash). */
export function renderEnvFile(
  values: Record<string, string | number>,
  writer = "cloud-init from the cluster spec",
): string {
  const lines = Object.entries(values).map(([key, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new Error(`renderEnvFile: "${key}" is not a shell variable name`);
    return `${key}=${shellQuote(String(value))}`;
  });
  return `# Written by ${writer}; read by /opt/kubeadm-ha/*.sh\n${lines.join("\n")}\n`;
}

/** Single-quotes a value for bash; tokens pass through untouched since they contain no quote. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
