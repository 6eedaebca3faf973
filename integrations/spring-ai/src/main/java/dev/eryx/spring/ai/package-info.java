/**
 * Spring AI integration: {@link dev.eryx.spring.ai.EryxToolCallback} offers {@code run_python} as a
 * {@code ToolCallback}, {@link dev.eryx.spring.ai.EryxToolCallbackProvider} as a {@code
 * ToolCallbackProvider}, and {@link dev.eryx.spring.ai.EryxAutoConfiguration} creates both (with
 * the pool and the tool behind them) from the {@code eryx.*} properties of a Boot application.
 */
package dev.eryx.spring.ai;
