/**
 * A userdata/ script as a node receives it: without its comment lines and blank lines, which are a
 * third of its size and would push a 7-node control plane over EC2's 16 KB user-data limit. The full,
 * commented script is in the package (userdata/) and the repository; the shipped one says where.
 * Kept: the shebang, shellcheck directives, and every line inside a here-document.
 */
export function shippedScript(name: string, text: string): string {
  const out: string[] = [];
  let heredocEnd: string | undefined;
  for (const [i, line] of text.split("\n").entries()) {
    if (heredocEnd !== undefined) {
      out.push(line);
      if (line.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const opens = /<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/.exec(line.replace(/<<</g, ""));
    if (opens) heredocEnd = opens[1];
    const trimmed = line.trim();
    if (i === 0 && line.startsWith("#!")) {
      out.push(
        line,
        `# kubeadm-ha ${name}, comments removed to fit in user data: the commented script is userdata/${name} in the package`,
      );
      continue;
    }
    if (trimmed === "" || (trimmed.startsWith("#") && !trimmed.startsWith("# shellcheck "))) continue;
    out.push(line);
  }
  return out.join("\n") + (text.endsWith("\n") ? "\n" : "");
}
