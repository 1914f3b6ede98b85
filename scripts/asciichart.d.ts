/** The part of asciichart (no bundled types) that the demo and the benchmark use. */
declare module "asciichart" {
  export interface PlotConfig {
    height?: number;
    offset?: number;
    padding?: string;
    format?: (value: number, index: number) => string;
    min?: number;
    max?: number;
  }
  export function plot(series: number[] | number[][], config?: PlotConfig): string;
}
