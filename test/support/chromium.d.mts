import type { LaunchOptions } from "puppeteer-core";

export declare const CHROMIUM: string;
export declare function chromiumLaunchOptions(profileDir: string): LaunchOptions;
