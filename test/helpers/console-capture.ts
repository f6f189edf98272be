// A CLI command's output in tests: console.log and console.error captured line by line; vi.restoreAllMocks() ends it.
import { vi } from "vitest";

export function captureConsole(): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
  vi.spyOn(console, "error").mockImplementation((s: string) => void err.push(s));
  return { out, err };
}
